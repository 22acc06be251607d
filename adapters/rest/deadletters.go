package rest

import (
	"context"
	"net/http"
	"time"

	"github.com/fintechlabs/customers/core/page"
)

// DeadLetters are the records a service's consumer gave up on, as the
// dead-letter routes need them (the Kafka adapter's, adapted by the
// runner: this package does not import it).
type DeadLetters interface {
	// List returns a page of the service's own dead letters of the topics
	// it consumes, topic by topic in the order they were written, and the
	// key to continue after (page.Next's). Errors: fault.Invalid for a
	// key it did not give.
	List(ctx context.Context, w page.Window) (DeadLetterPage, error)
	// Replay writes the dead letter of topic that came from partition and
	// offset back to topic. Errors: fault.NotFound when there is none.
	Replay(ctx context.Context, topic string, partition int, offset int64) error
}

// DeadLetterPage is one page of dead letters, and the cursor to the next
// ("" at the end).
type DeadLetterPage struct {
	Letters []DeadLetter
	Next    string
}

// DeadLetter is one record a consumer gave up on.
type DeadLetter struct {
	Topic     string    `json:"topic"`
	Partition int       `json:"partition"`
	Offset    int64     `json:"offset"`
	Group     string    `json:"group"`
	Kind      string    `json:"kind"`
	Error     string    `json:"error"`
	Attempts  int       `json:"attempts"`
	FailedAt  time.Time `json:"failedAt"`
	Key       string    `json:"key"`
	// Dropped names what the copy lacks, because it did not fit the
	// dead-letter topic: such a letter cannot be replayed.
	Dropped string `json:"dropped,omitempty"`
}

type deadLetterListBody struct {
	DeadLetters []DeadLetter `json:"deadLetters"`
	NextCursor  string       `json:"nextCursor"`
}

type replayRequest struct {
	Topic     string `json:"topic" validate:"required,max=249" doc:"the dead letter's original topic, without any prefix"`
	Partition *Whole `json:"partition" validate:"required,min=0" doc:"where the record came from"`
	Offset    *Whole `json:"offset" validate:"required,min=0"`
}

type replayedBody struct {
	Replayed bool   `json:"replayed"`
	Topic    string `json:"topic"`
}

// deadLetterRoutes serve a service's dead letters, and their replay, to
// keys with the admin scope.
func deadLetterRoutes(resource string, dl DeadLetters, opts Options) []Route {
	list := func(w http.ResponseWriter, r *http.Request) {
		var q PageQuery
		if !DecodeQuery(w, r, &q) {
			return
		}
		win, err := q.Request().Parse()
		var letters DeadLetterPage
		if err == nil {
			letters, err = dl.List(r.Context(), win)
		}
		Respond(w, r, opts.Log, http.StatusOK, letters, err, func(l DeadLetterPage) deadLetterListBody {
			if l.Letters == nil {
				l.Letters = []DeadLetter{}
			}
			return deadLetterListBody{DeadLetters: l.Letters, NextCursor: l.Next}
		})
	}
	replay := func(w http.ResponseWriter, r *http.Request) {
		var req replayRequest
		if !Decode(w, r, &req, false) {
			return
		}
		err := dl.Replay(r.Context(), req.Topic, int(*req.Partition), int64(*req.Offset))
		Respond(w, r, opts.Log, http.StatusOK, req.Topic, err, func(topic string) replayedBody {
			return replayedBody{Replayed: true, Topic: topic}
		})
	}
	base := "/" + resource + "/dead-letters"
	return []Route{
		{Method: http.MethodGet, Pattern: base, Scope: ScopeAdmin, Handler: http.HandlerFunc(list), Query: PageQuery{},
			Summary: "The records this service's consumer gave up on, with why, a page at a time", Answer: deadLetterListBody{}},
		{Method: http.MethodPost, Pattern: base + "/replay", Scope: ScopeAdmin, Handler: http.HandlerFunc(replay),
			Summary: "Write one dead letter back to its topic, for the consumers to take again", Body: replayRequest{}, Answer: replayedBody{}},
	}
}
