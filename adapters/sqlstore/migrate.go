package sqlstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrations are the tables every service has (outbox, inbox, idempotency
// keys), versions 1 to 99, a folder per Engine.System.
//
//go:embed migrations
var migrations embed.FS

// migrate applies the shared migrations and schema's that are not yet
// applied, each in a transaction of its own, with goose; replicas that
// start together take turns where the engine locks migrations. Migrations
// are versioned in goose_db_version. A database the project migrated
// before it used goose has its tables already, which the first migrations
// create only if they are not there.
func migrate(ctx context.Context, engine Engine, schema Schema, log *slog.Logger) error {
	dialects := map[string]goose.Dialect{"sqlite": goose.DialectSQLite3, "postgresql": goose.DialectPostgres}
	dialect, ok := dialects[engine.System]
	if !ok {
		return fmt.Errorf("no migrations for %q databases", engine.System)
	}
	shared, err := fs.Sub(migrations, path.Join("migrations", engine.System))
	if err != nil {
		return err
	}
	own, err := fs.Sub(schema.Migrations, path.Join("migrations", engine.System))
	if err != nil {
		return err
	}
	if found, _ := fs.Glob(own, "*.sql"); len(found) == 0 {
		return fmt.Errorf("the %s tables have no migrations for %s", schema.Name, engine.System)
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true), goose.WithSlog(log)}
	if engine.MigrationLock != 0 {
		// Tried every second, for up to five minutes.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(engine.MigrationLock), lock.WithLockTimeout(1, 300))
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	var tables fs.FS = union{shared, own}
	if schema.Bare {
		tables = own
	}
	p, err := goose.NewProvider(dialect, engine.SQL, tables, opts...)
	if err != nil {
		return err
	}
	applied, err := p.Up(ctx)
	for _, r := range applied {
		log.InfoContext(ctx, "migration applied", "schema", schema.Name, "migration", r.Source.Path, "took", r.Duration)
	}
	return err
}

// union is the files of several folders as one, for goose to read a
// service's migrations and the shared ones as one sequence.
type union []fs.FS

func (u union) Open(name string) (fs.File, error) {
	for _, f := range u {
		if file, err := f.Open(name); err == nil {
			return file, nil
		}
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// ReadDir implements fs.ReadDirFS: the entries of every folder, by name.
func (u union) ReadDir(name string) ([]fs.DirEntry, error) {
	var all []fs.DirEntry
	for _, f := range u {
		entries, err := fs.ReadDir(f, name)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		all = append(all, entries...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name() < all[j].Name() })
	return all, nil
}
