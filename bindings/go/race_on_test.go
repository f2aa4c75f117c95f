//go:build race

package vdksecrets_test

// raceDetector: the test binary runs under the race detector, whose shadow memory and clocks
// grow the resident set in ways the binding does not.
const raceDetector = true
