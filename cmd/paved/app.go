package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/config"
	"github.com/paved-dev/paved/internal/gate"
	"github.com/paved-dev/paved/internal/jobs"
	"github.com/paved-dev/paved/internal/scan"
	"github.com/paved-dev/paved/internal/scorecard"
	"github.com/paved-dev/paved/internal/store"
	"github.com/paved-dev/paved/internal/store/postgres"
	"github.com/paved-dev/paved/internal/store/sqlite"
)

// app holds one invocation's I/O, configuration and open resources.
type app struct {
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer

	configFile string
	cpuProfile string
	memProfile string
	output     string
	flags      *pflag.FlagSet
	cfg        *config.Config
	st         store.Store
	logger     *slog.Logger
	closers    []func()
	// standards are the configured standards, once loaded.
	standards *scorecard.Standards
	grade     *scorecard.Grader
	// feed publishes events and enqueues their webhook deliveries (feed.go).
	feed *feedState
	// observe, when set, records each repository scan's duration.
	observe func(outcome string, d time.Duration)
	// gateStarted, when set, sees the deploy gate serve starts (bench gate
	// waits out its one-time work).
	gateStarted func(*gate.Gate)
}

// usageError marks a wrong command line (exit code 2).
type usageError struct{ error }

func (a *app) exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		fmt.Fprintf(a.stderr, "paved: %v\nRun 'paved --help' for usage.\n", err)
		return exitUsage
	}
	var ex exitError
	if errors.As(err, &ex) {
		if ex.msg != "" {
			fmt.Fprintln(a.stderr, "paved: "+ex.msg)
		}
		return ex.code
	}
	msg := err.Error()
	if code := paved.ErrorCode(err); code != paved.EINTERNAL {
		msg = paved.ErrorMessage(err)
	}
	fmt.Fprintln(a.stderr, "paved: "+msg)
	return exitFail
}

// exitError ends a command with a specific exit code (a scan with failures).
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

func isCobraUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "requires exactly", "flag needs an argument", "invalid argument"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

// cobraFlags adapts cobra's flags to config.Flags.
type cobraFlags struct{ fs *pflag.FlagSet }

func (f cobraFlags) Changed(name string) bool {
	fl := f.fs.Lookup(name)
	return fl != nil && fl.Changed
}

func (f cobraFlags) Value(name string) string {
	fl := f.fs.Lookup(name)
	if fl == nil {
		return ""
	}
	if sv, ok := fl.Value.(pflag.SliceValue); ok {
		return strings.Join(sv.GetSlice(), ",")
	}
	return fl.Value.String()
}

// loadConfig resolves the configuration for cmd, whose flags may include
// the global ones.
func (a *app) loadConfig(cmd *cobra.Command) error {
	if a.cfg != nil {
		return nil
	}
	cfg, err := config.Load(cobraFlags{cmd.Flags()}, a.configFile, a.getenv)
	if err != nil {
		return usageError{err}
	}
	a.cfg = cfg
	level := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}[cfg.LogLevel]
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		a.logger = slog.New(slog.NewJSONHandler(a.stderr, opts))
	} else {
		a.logger = slog.New(slog.NewTextHandler(a.stderr, opts))
	}
	if a.output == "table" {
		a.output = "text" // the same thing, as some commands call it
	}
	if a.output != "text" && a.output != "json" && a.output != "csv" {
		return usageError{fmt.Errorf("--output %q must be text or json", a.output)}
	}
	return nil
}

// openStore opens the configured database and brings every schema
// (paved's and the job queue's) up to date.
func (a *app) openStore(ctx context.Context) (store.Store, error) {
	if a.st != nil {
		return a.st, nil
	}
	var st store.Store
	var err error
	if p := config.SQLitePath(a.cfg.DB); p != "" {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, fmt.Errorf("creating the database directory: %w", err)
		}
		st, err = sqlite.Open(ctx, p)
	} else {
		st, err = postgres.Open(ctx, a.cfg.DB)
	}
	if err != nil {
		return nil, fmt.Errorf("opening database %s: %w", config.Redacted(a.cfg.DB), err)
	}
	if err := jobs.Migrate(ctx, st); err != nil {
		st.Close()
		return nil, err
	}
	a.st = st
	a.closers = append(a.closers, func() { st.Close() })
	return st, nil
}

func (a *app) scanner(st store.Store) *scan.Scanner {
	return &scan.Scanner{Store: st, Logger: a.logger, Now: time.Now, OrgFiles: a.cfg.OrgFiles, Observe: a.observe,
		Grade: func(ctx context.Context, repositories []string) (*scorecard.GradeSummary, error) {
			g, err := a.grader(st)
			if err != nil {
				return nil, err
			}
			return g.Grade(ctx, scorecard.GradeOptions{Repositories: repositories})
		}}
}

// printJSON writes v as indented JSON to stdout.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (a *app) isTerminal() bool {
	f, ok := a.stderr.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
