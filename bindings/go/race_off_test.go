//go:build !race

package vdksecrets_test

const raceDetector = false
