//go:build race

package isolate

// raceEnabled: the race detector's shadow memory rules out RLIMIT_AS.
const raceEnabled = true
