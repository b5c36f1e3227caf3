package bus

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecowatch/ecowatch/internal/model"
	"github.com/ecowatch/ecowatch/internal/store"
)

// benchMessage is a typical minute frame: eight factors with four fields
// each, its raw bytes and the device's contact.
func benchMessage() Message {
	at := time.Date(2026, 12, 6, 8, 1, 0, 0, time.UTC)
	u := &model.Upload{MN: "88888880000001", CN: "2051", DataTime: at}
	for i := 0; i < 8; i++ {
		f := fmt.Sprintf("a%05d", 21000+i)
		u.Values = append(u.Values, model.Value{Factor: f, Field: "Avg", Value: "12.345"},
			model.Value{Factor: f, Field: "Min", Value: "10.1"}, model.Value{Factor: f, Field: "Max", Value: "14.9"},
			model.Value{Factor: f, Field: "Flag", Value: "N"})
	}
	raw := make([]byte, 600)
	for i := range raw {
		raw[i] = 'a' + byte(i%26)
	}
	return Message{
		Upload:  u,
		Raw:     &model.RawFrame{ReceivedAt: at.Add(2 * time.Second), Remote: "10.1.2.3:40000", MN: u.MN, CN: "2051", QN: "20261206080100000", Status: model.RawAccepted, Raw: raw},
		Contact: &model.Contact{MN: u.MN, At: at.Add(2 * time.Second), Remote: "10.1.2.3:40000", CN: "2051"},
	}
}

func BenchmarkEncode(b *testing.B) {
	m := benchMessage()
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendMessage(buf[:0], &m)
	}
	b.ReportMetric(float64(len(buf)), "bytes/msg")
}

func BenchmarkDecode(b *testing.B) {
	m := benchMessage()
	data := AppendMessage(nil, &m)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := DecodeMessage(data); err != nil {
			b.Fatal(err)
		}
	}
}

// benchBatches builds gateway-shaped batches of size frames each, over
// 1000 devices, for n frames in all.
func benchBatches(n, size int) []*store.Batch {
	devices := deviceNames(1000)
	var out []*store.Batch
	for done, minute := 0, 0; done < n; minute++ {
		for i := 0; i < len(devices) && done < n; i += size {
			end := min(i+size, len(devices), i+n-done)
			bt := frameBatch(devices[i:end], minute, 1)
			out = append(out, bt)
			done += end - i
		}
	}
	return out
}

// BenchmarkPublish: frames/s persisted (PubAck received) into a single
// embedded server with file storage, in gateway batches of 500.
func BenchmarkPublish(b *testing.B) {
	_, url := startServer(b)
	bus := connect(b, Config{URL: url})
	pub := NewPublisher(bus, nil)
	batches := benchBatches(b.N, 500)
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for _, bt := range batches {
		if err := pub.CommitBatch(ctx, bt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "frames/s")
}

type countingCommitter struct{ frames atomic.Int64 }

func (c *countingCommitter) CommitBatch(_ context.Context, bt *store.Batch) error {
	c.frames.Add(int64(len(bt.Frames)))
	return nil
}

// BenchmarkEndToEnd: frames/s from the publisher through the stream and
// writers (16 partitions, batches of 1000) into a committer that only
// counts: the bus's own cost, without a database; with 1 and 2 writers.
func BenchmarkEndToEnd(b *testing.B) {
	for _, writers := range []int{1, 2} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			_, url := startServer(b)
			cfg := Config{URL: url}
			pub := NewPublisher(connect(b, cfg), nil)
			cc := &countingCommitter{}
			var ws []*Writer
			for i := range writers {
				w, _ := runWriter(b, connect(b, cfg), cc, WriterConfig{ID: fmt.Sprintf("bench-%d", i)})
				ws = append(ws, w)
			}
			eventually(b, "partitions shared", 30*time.Second, func() bool {
				n := 0
				for _, w := range ws {
					if len(w.Owned()) == 0 {
						return false
					}
					n += len(w.Owned())
				}
				return n == DefaultPartitions
			})
			batches := benchBatches(b.N, 500)
			ctx := context.Background()
			b.ResetTimer()
			start := time.Now()
			for _, bt := range batches {
				if err := pub.CommitBatch(ctx, bt); err != nil {
					b.Fatal(err)
				}
			}
			published := time.Since(start)
			for cc.frames.Load() < int64(b.N) {
				time.Sleep(time.Millisecond)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "frames/s")
			b.ReportMetric(float64(b.N)/published.Seconds(), "published-frames/s")
			var commits uint64
			for _, w := range ws {
				commits += w.commits.Load()
			}
			b.ReportMetric(float64(b.N)/float64(commits), "frames/commit")
		})
	}
}
