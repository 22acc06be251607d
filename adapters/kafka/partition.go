package kafka

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/fintechlabs/customers/core/backoff"
)

// consume reads one partition from offset until ctx (the consumer's) or
// genCtx (the group generation's) ends. Records go to lanes, one per key,
// which run concurrently up to the configured concurrency; a committer
// commits the offset below which every record is settled.
func (c *Consumer) consume(ctx, genCtx context.Context, gen *kafkago.Generation, topic string, partition int, offset int64) {
	stop, cancel := context.WithCancel(genCtx)
	defer cancel()
	defer context.AfterFunc(ctx, cancel)()
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers: c.cfg.Brokers, Topic: topic, Partition: partition, Dialer: c.cfg.dialer(),
		MinBytes: 1, MaxBytes: c.cfg.MaxBytesPerPartition, MaxWait: 250 * time.Millisecond,
		ReadBackoffMin: 50 * time.Millisecond, ReadBackoffMax: time.Second, ReadLagInterval: -1,
		Logger: debugLogger(c.log), ErrorLogger: errorLogger(c.log),
	})
	defer c.closeQuietly(r)
	if err := r.SetOffset(offset); err != nil {
		c.log.ErrorContext(ctx, "cannot start reading a partition", "topic", topic, "partition", partition, "error", err)
		return
	}
	p := &partitionWork{c: c, stop: stop, quit: ctx, lanes: map[string]*lane{}, slots: make(chan struct{}, c.cfg.Concurrency),
		inHand: make(chan struct{}, c.cfg.InHand), wake: make(chan struct{}, 1), settled: offset - 1, committed: offset - 1}
	committed := make(chan struct{})
	go func() {
		defer close(committed)
		p.commitLoop(ctx, gen, topic, partition)
	}()
	defer func() {
		p.running.Wait() // every lane ends: settled, or left for the next run
		p.finish()
		<-committed
	}()
	for fetchFailures := 0; ; {
		select {
		case p.inHand <- struct{}{}:
		case <-stop.Done():
			return
		}
		m, err := r.FetchMessage(stop)
		if err != nil {
			<-p.inHand
			if stop.Err() != nil || errors.Is(err, io.EOF) {
				return
			}
			wait := c.cfg.RetryBackoff.Delay(fetchFailures)
			fetchFailures++
			c.log.WarnContext(ctx, "fetch failed, retrying", "topic", topic, "partition", partition, "error", err, "retryIn", wait)
			if !backoff.Sleep(stop, wait) {
				return
			}
			continue
		}
		fetchFailures = 0
		p.dispatch(m)
	}
}

// partitionWork is one partition's records in hand.
type partitionWork struct {
	c    *Consumer
	stop context.Context
	// quit is the consumer's own context, which ends stop too, a moment
	// later: a lane checks both before it takes its next record.
	quit context.Context
	// slots bounds the records being handled; inHand, the records fetched
	// and not yet settled, those waiting between retries included.
	slots, inHand chan struct{}
	running       sync.WaitGroup

	mu    sync.Mutex
	lanes map[string]*lane // by record key, while it has records
	// open lists the offsets dispatched and not yet committable, in
	// order; settledAt marks those settled.
	open      []int64
	settledAt map[int64]bool
	settled   int64 // every record up to here is settled
	committed int64 // the last settled offset committed (or where reading began)
	stopped   bool  // a record was left unsettled: commit no further
	wake      chan struct{}
	done      bool // the partition's reading ended
}

// lane runs one key's records in order.
type lane struct{ queue []kafkago.Message }

// dispatch queues m behind its key's records, starting a lane if it has
// none.
func (p *partitionWork) dispatch(m kafkago.Message) {
	key := string(m.Key)
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.open) == 0 && p.settled < m.Offset-1 {
		// Reading started at the partition's first offset (no commit
		// yet, kafka-go's FirstOffset) or past a gap: what comes before
		// this record is not ours to settle, nor to commit.
		p.settled, p.committed = m.Offset-1, m.Offset-1
	}
	p.open = append(p.open, m.Offset)
	if l, ok := p.lanes[key]; ok {
		l.queue = append(l.queue, m)
		return
	}
	l := &lane{queue: []kafkago.Message{m}}
	p.lanes[key] = l
	p.running.Add(1)
	go p.run(key, l)
}

// run settles l's records one after another until it is empty, or until
// the consumer stops: the record in hand is finished, and the rest of the
// lane stays unsettled for the partition's next owner. Handling them here
// could outlast the shutdown timeout and the group's rebalance, so that
// two replicas would handle the same records at once.
func (p *partitionWork) run(key string, l *lane) {
	defer p.running.Done()
	s := &slot{p: p}
	for {
		p.mu.Lock()
		if len(l.queue) == 0 || p.stopped || p.stop.Err() != nil || p.quit.Err() != nil {
			for range l.queue {
				<-p.inHand
			}
			delete(p.lanes, key)
			p.mu.Unlock()
			return
		}
		m := l.queue[0]
		l.queue = l.queue[1:]
		p.mu.Unlock()
		err := errStopped
		if s.take() {
			err = p.c.process(p.stop, m, s.pause)
			s.give()
		}
		p.mu.Lock()
		if err != nil {
			p.stopped = true // errStopped: leave m for the next run
		} else {
			p.settle(m.Offset)
		}
		p.mu.Unlock()
		<-p.inHand
	}
}

// slot is a lane's claim on one of its partition's handling slots, which
// it gives up while its record waits between retries: a customer whose
// email provider failed for a moment holds that customer's records only,
// not the slots every other customer's need.
type slot struct {
	p    *partitionWork
	held bool
}

// take claims a slot; false when the consumer stopped first.
func (s *slot) take() bool {
	select {
	case s.p.slots <- struct{}{}:
		s.held = true
		return true
	case <-s.p.stop.Done():
		return false
	}
}

// give returns the slot, if held.
func (s *slot) give() {
	if s.held {
		<-s.p.slots
		s.held = false
	}
}

// pause waits d without the slot and claims one again; false when the
// consumer stopped first.
func (s *slot) pause(d time.Duration) bool {
	s.give()
	return backoff.Sleep(s.p.stop, d) && s.take()
}

// settle marks offset settled and moves the committable point over every
// settled record at the front. Called with mu held.
func (p *partitionWork) settle(offset int64) {
	if p.settledAt == nil {
		p.settledAt = map[int64]bool{}
	}
	p.settledAt[offset] = true
	moved := false
	for len(p.open) > 0 && p.settledAt[p.open[0]] {
		delete(p.settledAt, p.open[0])
		p.settled, p.open, moved = p.open[0], p.open[1:], true
	}
	if moved {
		p.poke()
	}
}

// finish tells the committer that nothing more will settle.
func (p *partitionWork) finish() {
	p.mu.Lock()
	p.done = true
	p.mu.Unlock()
	p.poke()
}

// poke wakes the committer, unless a wake-up is pending already.
func (p *partitionWork) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// commitLoop commits the settled offset when it moves, at most once per
// commit interval, and a last time when the partition's reading ended.
func (p *partitionWork) commitLoop(ctx context.Context, gen *kafkago.Generation, topic string, partition int) {
	for {
		<-p.wake
		p.mu.Lock()
		settled, committed, done := p.settled, p.committed, p.done
		p.mu.Unlock()
		if settled > committed {
			if err := gen.CommitOffsets(map[string]map[int]int64{topic: {partition: settled + 1}}); err != nil {
				// The records will be delivered again; the inbox drops them.
				p.c.log.WarnContext(ctx, "offset commit failed", "topic", topic, "partition", partition, "offset", settled, "error", err)
			} else {
				p.mu.Lock()
				p.committed = settled
				p.mu.Unlock()
			}
		}
		if done {
			return
		}
		if p.c.cfg.CommitInterval > 0 {
			t := time.NewTimer(p.c.cfg.CommitInterval)
			select {
			case <-t.C:
			case <-p.stop.Done(): // commit what is settled without waiting
			}
			t.Stop()
		}
	}
}
