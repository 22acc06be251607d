package kafka

import (
	"fmt"
	"log/slog"

	kafkago "github.com/segmentio/kafka-go"
)

// errorLogger passes kafka-go's error messages to slog at warning level:
// most are transient (a rebalance, a reconnect) and are retried.
func errorLogger(log *slog.Logger) kafkago.Logger {
	return kafkago.LoggerFunc(func(format string, args ...any) {
		log.Warn("kafka client: " + fmt.Sprintf(format, args...))
	})
}

// debugLogger passes kafka-go's chatter to slog at debug level.
func debugLogger(log *slog.Logger) kafkago.Logger {
	return kafkago.LoggerFunc(func(format string, args ...any) {
		log.Debug("kafka client: " + fmt.Sprintf(format, args...))
	})
}
