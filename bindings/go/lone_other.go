//go:build !linux

package vdksecrets

// Without eventfd, lone calls complete through the queue like the others.
type loneNotifier struct{}

func getLoneNotifier() *loneNotifier   { return nil }
func putLoneNotifier(*loneNotifier)    {}
func (*loneNotifier) wait() error      { return nil }
func (*loneNotifier) notifyValue() int { return 0 }
