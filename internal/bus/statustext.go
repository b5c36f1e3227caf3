package bus

import (
	"fmt"
	"io"
	"sort"
)

// WriteStatus writes the stream's configuration and state as text (ecowatch
// bus init|status): its backlog, leader and replicas, and with leases the
// writer holding each partition.
func WriteStatus(w io.Writer, c Config, st Status, leases bool) {
	fmt.Fprintf(w, "stream %s: subjects %s.<partition>.<MN>, %d partitions, %d replicas, at most %d frames pending\n",
		c.Stream, c.Subject, c.Partitions, c.Replicas, c.MaxPending)
	fmt.Fprintf(w, "backlog: %d frames not yet written (%d bytes)\n", st.Frames, st.Bytes)
	if st.Leader != "" {
		fmt.Fprintf(w, "leader: %s\n", st.Leader)
		for _, r := range st.Replicas {
			state := "current"
			switch {
			case r.Offline:
				state = "offline"
			case !r.Current:
				state = fmt.Sprintf("catching up, %d behind", r.Lag)
			}
			fmt.Fprintf(w, "replica: %s %s\n", r.Name, state)
		}
	}
	if !leases {
		return
	}
	owners := map[string][]int{}
	for p := 0; p < c.Partitions; p++ {
		owners[st.Leases[p]] = append(owners[st.Leases[p]], p)
	}
	names := make([]string, 0, len(owners))
	for n := range owners {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		who := n
		if who == "" {
			who = "(no writer)"
		}
		fmt.Fprintf(w, "partitions %v: %s\n", owners[n], who)
	}
}
