//go:build !race

package parquetio

// raceDetector is set under -race (see race_on_test.go).
const raceDetector = false
