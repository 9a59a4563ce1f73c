//go:build race

package delta

// raceDetector is set under -race, which makes encoding tens of megabytes take minutes;
// tests of large values then keep to sizes that still cover the code paths.
const raceDetector = true
