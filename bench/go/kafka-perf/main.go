// kafka-perf: a Kafka producer and consumer benchmark on franz-go, for bench:kafka-listener.
// Kafka's Java tools spend 3-5 CPU s per million records of their own, which on a small machine
// decides their figure; this client spends far less, so the broker is what it measures.
//
//	kafka-perf -mode produce -brokers host:port,... -topic T -records N -record-size S -acks 1|all -idempotent=false
//	kafka-perf -mode consume -brokers host:port,... -topic T -records N
//
// Prints one JSON line: records, records/s, seconds, the CPU seconds of this process over the
// measured stretch (getrusage), and the requests it sent (Produce or Fetch) as counted by a hook.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Kafka protocol API keys, to count the requests this client writes.
const (
	apiProduce = 0
	apiFetch   = 1
)

type result struct {
	Mode              string  `json:"mode"`
	Records           int64   `json:"records"`
	RecordsPerSec     float64 `json:"recordsPerSec"`
	Seconds           float64 `json:"seconds"`
	CPUSeconds        float64 `json:"cpuSeconds"`
	Requests          int64   `json:"requests"`
	RecordsPerRequest float64 `json:"recordsPerRequest"`
}

// requestCounter counts the Produce or Fetch requests written to any broker.
type requestCounter struct {
	key int16
	n   atomic.Int64
}

func (c *requestCounter) OnBrokerWrite(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	if key == c.key && err == nil {
		c.n.Add(1)
	}
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		die("getrusage: %v", err)
	}
	seconds := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return seconds(ru.Utime) + seconds(ru.Stime)
}

func die(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "kafka-perf: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	mode := flag.String("mode", "", "produce or consume")
	brokers := flag.String("brokers", "", "comma-separated host:port seed brokers")
	topic := flag.String("topic", "", "topic (partition 0)")
	records := flag.Int64("records", 1_000_000, "records to produce or consume")
	recordSize := flag.Int("record-size", 100, "bytes per record value (produce)")
	acks := flag.String("acks", "1", "1 or all (produce)")
	idempotent := flag.Bool("idempotent", false, "idempotent producer (the Java producer's default only with acks=all)")
	linger := flag.Duration("linger", 5*time.Millisecond, "linger (produce; Java linger.ms)")
	batchBytes := flag.Int("batch-bytes", 64<<10, "largest record batch (produce; Java batch.size)")
	timeout := flag.Duration("timeout", 120*time.Second, "give up after")
	flag.Parse()
	if *brokers == "" || *topic == "" || *records <= 0 {
		die("-brokers, -topic and -records > 0 are required")
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	var r result
	switch *mode {
	case "produce":
		r = produce(ctx, *brokers, *topic, *records, *recordSize, *acks, *idempotent, *linger, *batchBytes)
	case "consume":
		r = consume(ctx, *brokers, *topic, *records)
	default:
		die("-mode must be produce or consume")
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		die("%v", err)
	}
}

func produce(ctx context.Context, brokers, topic string, n int64, size int, acks string, idempotent bool,
	linger time.Duration, batchBytes int,
) result {
	counter := &requestCounter{key: apiProduce}
	opts := []kgo.Opt{
		kgo.SeedBrokers(strings.Split(brokers, ",")...),
		kgo.DefaultProduceTopic(topic),
		kgo.ProducerLinger(linger),
		kgo.ProducerBatchMaxBytes(int32(batchBytes)),
		// franz-go compresses with snappy by default; the Java tools and `tributary perf` do not.
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		// The Java producer's buffer.memory (32 MiB) in place of franz-go's 50,000-record cap.
		kgo.MaxBufferedBytes(32 << 20),
		kgo.MaxBufferedRecords(1 << 30),
		kgo.WithHooks(counter),
	}
	switch acks {
	case "1":
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()))
	case "all":
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	default:
		die("-acks must be 1 or all")
	}
	if !idempotent {
		// Idempotent, franz-go keeps 5 requests in flight per broker; without it, 1 unless told:
		// 5 is the Java producer's max.in.flight.requests.per.connection.
		opts = append(opts, kgo.DisableIdempotentWrite(), kgo.MaxProduceRequestsInflightPerBroker(5))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		die("client: %v", err)
	}
	defer cl.Close()

	// One payload shared by every record (as `tributary perf produce` does), and records reused
	// once acknowledged, so the client's own allocation stays out of the figure.
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte('A' + i%26)
	}
	pool := sync.Pool{New: func() any { return &kgo.Record{} }}
	var failed atomic.Pointer[error]
	done := func(rec *kgo.Record, err error) {
		if err != nil {
			failed.CompareAndSwap(nil, &err)
		}
		*rec = kgo.Record{}
		pool.Put(rec)
	}

	cpuBefore := cpuSeconds()
	start := time.Now()
	for i := int64(0); i < n && failed.Load() == nil; i++ {
		rec := pool.Get().(*kgo.Record)
		rec.Value = payload
		cl.Produce(ctx, rec, done)
	}
	if err := cl.Flush(ctx); err != nil {
		die("flush: %v", err)
	}
	elapsed := time.Since(start).Seconds()
	if err := failed.Load(); err != nil {
		die("produce: %v", *err)
	}
	return summary("produce", n, elapsed, cpuSeconds()-cpuBefore, counter.n.Load())
}

func consume(ctx context.Context, brokers, topic string, n int64) result {
	counter := &requestCounter{key: apiFetch}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(strings.Split(brokers, ",")...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}),
		// The Java consumer's fetch.max.wait.ms (franz-go's default is 5 s); max.partition.fetch.bytes
		// (1 MiB) and fetch.max.bytes (50 MiB) are the same in both by default.
		kgo.FetchMaxWait(500*time.Millisecond),
		kgo.WithHooks(counter),
	)
	if err != nil {
		die("client: %v", err)
	}
	defer cl.Close()

	// The clock starts with the client's first poll: no group to join (ConsumerPerformance's
	// figure leaves its join out too), but finding the leader and the start offset are inside.
	cpuBefore := cpuSeconds()
	start := time.Now()
	var got int64
	for got < n {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			die("consumed %d of %d records: %v", got, n, err)
		}
		fetches.EachError(func(t string, p int32, err error) { die("fetch %s[%d]: %v", t, p, err) })
		got += int64(fetches.NumRecords())
	}
	elapsed := time.Since(start).Seconds()
	return summary("consume", got, elapsed, cpuSeconds()-cpuBefore, counter.n.Load())
}

func summary(mode string, n int64, seconds, cpu float64, requests int64) result {
	r := result{Mode: mode, Records: n, RecordsPerSec: float64(n) / seconds, Seconds: seconds, CPUSeconds: cpu, Requests: requests}
	if requests > 0 {
		r.RecordsPerRequest = float64(n) / float64(requests)
	}
	return r
}
