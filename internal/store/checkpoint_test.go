package store

import "testing"

// TestCkptMode: the checkpointer's decision after each tick's PASSIVE
// checkpoint, tick by tick. A steady stream of commits that the passive
// checkpoint keeps up with (everything copied at every tick, the WAL
// growing) is not idle: it once truncated the WAL every second under full
// load, each time making the writer drop its page cache.
func TestCkptMode(t *testing.T) {
	const page = 4096
	limitFrames := int64(walLimit / page)
	type tick struct {
		log, done int64
		want      string
	}
	cases := []struct {
		name  string
		ticks []tick
	}{
		{"steady commits kept up with: never truncated", []tick{
			{100, 100, ""}, {200, 200, ""}, {300, 300, ""}, {400, 400, ""}, {500, 500, ""}, {600, 600, ""}, {700, 700, ""},
		}},
		{"idle for five ticks after commits: truncated once", []tick{
			{100, 100, ""}, {100, 100, ""}, {100, 100, ""}, {100, 100, ""}, {100, 100, ""}, {100, 100, "TRUNCATE"}, {100, 100, ""},
		}},
		{"idle but not all copied (a reader holds frames): not truncated", []tick{
			{100, 50, ""}, {100, 50, ""}, {100, 50, ""}, {100, 50, ""}, {100, 50, ""}, {100, 50, ""},
		}},
		{"past the WAL limit: restart, whatever was copied", []tick{
			{limitFrames, limitFrames, ""}, {limitFrames + 1, limitFrames + 1, "RESTART"}, {limitFrames + 2, 10, "RESTART"},
		}},
		{"an empty WAL is not truncated again", []tick{
			{0, 0, ""}, {0, 0, ""}, {0, 0, ""}, {0, 0, ""}, {0, 0, ""}, {0, 0, ""}, {0, 0, ""},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prev, idle, truncated := int64(-1), 0, false
			for i, tk := range c.ticks {
				mode, n := ckptMode(prev, tk.log, tk.done, idle, truncated, page)
				if mode != tk.want {
					t.Fatalf("tick %d (log %d, copied %d): mode %q, want %q", i, tk.log, tk.done, mode, tk.want)
				}
				prev, idle = tk.log, n
				if idle == 0 {
					truncated = false
				}
				if mode == "TRUNCATE" {
					truncated = true
				}
			}
		})
	}
}
