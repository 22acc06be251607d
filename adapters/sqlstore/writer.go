package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
)

// Group commit. SQLite (an engine with GroupCommit) has one writer, and
// with synchronous=FULL each commit waits for the disk: one transaction per
// request or message caps a service at a few thousand writes a second,
// whoever is waiting. So every
// write is a unit handed to one writer goroutine, which takes all the units
// waiting, runs each in a savepoint of one shared transaction, and commits
// once for all of them. A unit that fails is rolled back to its savepoint
// alone and gets its own error; the others commit. Callers return only
// after the shared commit, so an answer or an offset never runs ahead of the
// disk.

// maxGroup bounds how many units share a commit: enough to amortise the
// sync, few enough that the first waits little for the last.
const maxGroup = 256

// Lingering. Taking only the units already waiting leaves groups of three
// or four under load, as units arrive spread over the commit before them.
// Each commit writes every page it changed to the log in full, and units
// of different groups change the same pages again (the outbox's and the
// inbox's last leaves, the latest entries of each index): most of a
// commit's work. So when units arrive closer together than linger and
// than a commit takes, the writer waits up to linger for more before it
// commits. In the end-to-end benchmark this took commits per onboarding
// from 1.2 to 0.3 and CPU per onboarding from 1.66 to 1.28 ms (medians of
// three, in turns). A quiet database, and a caller writing alone, whose
// next unit comes only after its last commit, do not wait. What it costs:
// callers that do nothing but write wait for each other where they could
// have prepared their next write during the sync (64 such callers: 67 to
// 81 µs a write, medians of five, BenchmarkCreateCustomersFrom64Callers).
const linger = time.Millisecond

// pace follows how far apart units are queued and how long a commit
// takes: moving averages, each gap counted as at most twice linger, so
// that the gap falls below linger within a few units once a burst begins.
type pace struct {
	last   time.Time
	gap    time.Duration
	commit time.Duration
}

func (p *pace) queued(at time.Time) {
	g := min(max(at.Sub(p.last), 0), 2*linger)
	p.gap += (g - p.gap) / 8
	p.last = at
}

func (p *pace) committed(took time.Duration) {
	if p.commit == 0 {
		p.commit = took
	}
	p.commit += (took - p.commit) / 8
}

// busy reports whether other units are expected while a group waits:
// they have been arriving faster than commits end, and within linger.
func (p *pace) busy() bool { return p.gap < linger && p.gap < p.commit }

// unit states: a unit is taken by the writer, or abandoned by its caller
// whose context ended first, never both.
const (
	unitWaiting int32 = iota
	unitTaken
	unitAbandoned
)

// errClosed is the error of a write after Close.
var errClosed = errors.New("the database is closed")

// unit is one write waiting for the writer.
type unit struct {
	ctx    context.Context
	queued time.Time
	fn     func(*Tx) error
	state  atomic.Int32
	done   chan result
}

// result is how a unit ended: an error, or a panic to raise again in the
// caller's goroutine, where recovering belongs (the consumer counts a
// panicking handler as a bug).
type result struct {
	err      error
	panicked any
}

// grouped hands fn to the writer as a unit, and returns after the commit
// it shared with the units waiting beside it.
func (db *DB) grouped(ctx context.Context, fn func(*Tx) error) error {
	u := &unit{ctx: ctx, queued: time.Now(), fn: fn, done: make(chan result, 1)}
	select {
	case db.units <- u:
	case <-ctx.Done():
		return ctx.Err()
	case <-db.quit:
		return errClosed
	}
	var r result
	select {
	case r = <-u.done:
	case <-ctx.Done():
		if u.state.CompareAndSwap(unitWaiting, unitAbandoned) {
			return ctx.Err()
		}
		r = <-u.done // the writer has it: its fate is settled at the commit
	case <-db.stopped: // queued as the writer stopped
		if u.state.CompareAndSwap(unitWaiting, unitAbandoned) {
			return errClosed
		}
		r = <-u.done
	}
	if r.panicked != nil {
		panic(r.panicked)
	}
	return r.err
}

// writer runs units until Close, a group at a time.
func (db *DB) writer() {
	defer close(db.stopped)
	group := make([]*unit, 0, maxGroup)
	arrivals := pace{gap: 2 * linger}
	add := func(group []*unit, u *unit) []*unit {
		arrivals.queued(u.queued)
		return append(group, u)
	}
	wait := time.NewTimer(linger)
	wait.Stop()
	for {
		select {
		case u := <-db.units:
			group = add(group[:0], u)
		case <-db.quit:
			db.refuseWaiting()
			return
		}
	more:
		for len(group) < maxGroup {
			select {
			case u := <-db.units:
				group = add(group, u)
			default:
				break more
			}
		}
		if arrivals.busy() && len(group) < maxGroup {
			wait.Reset(linger)
		lingering:
			for len(group) < maxGroup {
				select {
				case u := <-db.units:
					group = add(group, u)
				case <-wait.C:
					break lingering
				case <-db.quit:
					break lingering // commit what it holds; the loop then stops
				}
			}
			wait.Stop()
		}
		began := time.Now()
		db.commitGroup(group)
		arrivals.committed(time.Since(began))
	}
}

// refuseWaiting answers the units still queued at Close.
func (db *DB) refuseWaiting() {
	for {
		select {
		case u := <-db.units:
			if u.state.CompareAndSwap(unitWaiting, unitTaken) {
				u.done <- result{err: errClosed}
			}
		default:
			return
		}
	}
}

// commitGroup runs the units of group that are still wanted in one
// transaction, each in a savepoint, commits, and answers each.
func (db *DB) commitGroup(group []*unit) {
	taken := group[:0]
	for _, u := range group {
		if u.state.CompareAndSwap(unitWaiting, unitTaken) {
			taken = append(taken, u)
		}
	}
	if len(taken) == 0 {
		return
	}
	results := make([]result, len(taken))
	events := 0
	// The transaction's context is the writer's: one caller giving up must
	// not interrupt (and so roll back) everyone's transaction. Statements
	// run without cancellation for the same reason.
	err := db.gorm.WithContext(context.Background()).Transaction(func(g *gorm.DB) error {
		for i, u := range taken {
			if err := u.ctx.Err(); err != nil {
				results[i].err = err
				continue
			}
			t := db.newTx(g.WithContext(context.WithoutCancel(u.ctx)))
			if len(taken) == 1 {
				// Alone: its transaction is its savepoint.
				results[i] = db.run(t, u)
				events += t.events
				return results[i].failure()
			}
			if _, err := t.Exec("SAVEPOINT unit"); err != nil {
				return err
			}
			results[i] = db.run(t, u)
			if results[i].failure() == nil {
				events += t.events
				if _, err := t.Exec("RELEASE SAVEPOINT unit"); err != nil {
					return err
				}
				continue
			}
			// Some errors (a full disk, an I/O error) end the whole
			// transaction in SQLite; then the savepoint is gone and every
			// unit of the group fails.
			if _, err := t.Exec("ROLLBACK TO SAVEPOINT unit"); err != nil {
				return err
			}
			if _, err := t.Exec("RELEASE SAVEPOINT unit"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		failed := err
		if len(taken) > 1 || results[0].failure() == nil {
			failed = db.Error("write", err) // BEGIN, a savepoint or COMMIT failed: busy, locked, full...
		}
		for i := range results {
			if results[i].failure() == nil {
				results[i].err = failed
			}
		}
		events = 0
	}
	db.commits.Add(1)
	if events > 0 {
		db.Wake()
	}
	for i, u := range taken {
		u.done <- results[i]
	}
}

// run runs u's function in t, turning a panic into a result.
func (db *DB) run(t *Tx, u *unit) (r result) {
	defer func() {
		if p := recover(); p != nil {
			db.log.ErrorContext(u.ctx, "a unit of work panicked; the panic goes on in its caller", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			r = result{panicked: p}
		}
	}()
	return result{err: u.fn(t)}
}

// failure is the error that rolls the unit back: its own, or its panic.
func (r result) failure() error {
	if r.panicked != nil {
		return errPanicked
	}
	return r.err
}

var errPanicked = errors.New("the unit of work panicked")

// alone runs fn in a transaction of its own, for an engine whose
// transactions run side by side. Statements run with ctx: a caller that
// gives up rolls back its own transaction only.
func (db *DB) alone(ctx context.Context, fn func(*Tx) error) error {
	select {
	case <-db.quit:
		return errClosed
	default:
	}
	var own error // fn's, as it returned it
	events := 0
	err := db.gorm.WithContext(ctx).Transaction(func(g *gorm.DB) error {
		t := db.newTx(g)
		if own = fn(t); own != nil {
			return own
		}
		// The relay of this process is woken after the commit (Wake); the
		// notification is for another process's, when that one relays.
		if t.events > 0 && db.engine.Notify != "" && (db.engine.Leading == nil || !db.engine.Leading()) {
			if _, err := t.Exec(db.engine.Notify); err != nil {
				own = db.Error("notify the relays", err)
				return own
			}
		}
		events = t.events
		return nil
	})
	if err != nil {
		if own == nil {
			// BEGIN or COMMIT failed, or the database chose the
			// transaction to fail (a deadlock, a serialisation failure).
			err = db.Error("write", err)
		}
		return err
	}
	db.commits.Add(1)
	if events > 0 {
		db.Wake()
	}
	return nil
}
