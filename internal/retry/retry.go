// Package retry computes the wait before a failed month may be re-admitted.
package retry

import "time"

// Backoff is the wait after the given number of failed attempts: base, doubling with each
// further failure, never more than limit.
func Backoff(failures int, base, limit time.Duration) time.Duration {
	if failures < 1 || base <= 0 {
		return 0
	}
	d := base
	for i := 1; i < failures; i++ {
		if d >= limit/2 {
			return limit
		}
		d *= 2
	}
	if limit > 0 && d > limit {
		return limit
	}
	return d
}
