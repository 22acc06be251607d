package logging

import "log/slog"

// markers are the emoji the pretty format puts before a message, as the
// original system's logs did. They live here, not in the messages: JSON
// logs keep plain messages that can be queried. A message without a marker
// of its own gets its level's, if any.
var markers = map[string]string{
	"API authentication is off: set API_KEYS to require a key": "⚠️",
	"HTTP server failed":                                 "❌",
	"Kafka topics ready":                                 "🔌",
	"a service failed":                                   "❌",
	"bye":                                                "👋",
	"closing the consumer":                               "⚠️",
	"consumer started":                                   "🔌",
	"consumer stopped":                                   "❌",
	"customer changed":                                   "🔁",
	"customer onboarded":                                 "🆕",
	"customer profiled":                                  "🧮",
	"dead-letter write failed, retrying":                 "❌",
	"dependency unavailable":                             "⚠️",
	"duplicate suppressed by idempotency key":            "♻️",
	"embedded Kafka broker listening":                    "🔌",
	"event dead-lettered":                                "☠️",
	"event handled":                                      "📥",
	"event published":                                    "📤",
	"fetch failed, retrying":                             "⚠️",
	"handler panicked":                                   "💥",
	"handling failed, retrying":                          "🔁",
	"message delivered":                                  "📬",
	"message refused":                                    "⚠️",
	"message sent":                                       "📨",
	"migration applied":                                  "🗄️",
	"notification for an unknown customer ignored":       "⚠️",
	"offset commit failed":                               "⚠️",
	"outbox flushed":                                     "📤",
	"outbox not published, retrying":                     "⚠️",
	"outbox published":                                   "📤",
	"outbox publishing again":                            "🔌",
	"profile applied":                                    "📈",
	"profile for an unknown customer ignored":            "⚠️",
	"profile updated":                                    "🧮",
	"profiling rules loaded":                             "📏",
	"pruned old outbox and inbox rows":                   "🧹",
	"pruning the outbox and inbox failed":                "⚠️",
	"publish refused":                                    "❌",
	"recommendation not applied: customer is not active": "⏭️",
	"request":                                            "🌐",
	"request failed":                                     "❌",
	"service started":                                    "🚀",
	"shutting down":                                      "🛑",
	"simulated provider failure":                         "💥",
	"start failed":                                       "❌",
	"stopped":                                            "👋",
	"unclean shutdown":                                   "❌",
	"message refused before handling":                    "☠️",
	"waiting for Kafka":                                  "⏳",
}

// marker returns the emoji for a record, with a space, or "".
func marker(r slog.Record) string {
	if m, ok := markers[r.Message]; ok {
		return m + " "
	}
	switch {
	case r.Level >= slog.LevelError:
		return "❌ "
	case r.Level >= slog.LevelWarn:
		return "⚠️ "
	}
	return ""
}
