//go:build !race

package debezium

const raceEnabled = false
