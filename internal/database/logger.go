package database

import (
	"context"
	"log/slog"
	"time"

	"gorm.io/gorm/logger"
)

// slowLogger reports slow queries and nothing else: failed queries are returned to the caller,
// who decides whether they are worth a log line. Queries are logged with their placeholders,
// never their values, which may be password hashes or tokens.
type slowLogger struct {
	log       *slog.Logger
	threshold time.Duration
}

func newSlowLogger(log *slog.Logger, threshold time.Duration) logger.Interface {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return slowLogger{log: log, threshold: threshold}
}

func (l slowLogger) LogMode(logger.LogLevel) logger.Interface { return l }
func (l slowLogger) Info(context.Context, string, ...any)     {}
func (l slowLogger) Warn(context.Context, string, ...any)     {}
func (l slowLogger) Error(context.Context, string, ...any)    {}

// ParamsFilter keeps values out of the SQL that Trace receives.
func (l slowLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}

func (l slowLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), _ error) {
	if elapsed := time.Since(begin); elapsed >= l.threshold {
		sql, rows := fc()
		l.log.WarnContext(ctx, "slow query", "duration", elapsed, "rows", rows, "sql", sql)
	}
}
