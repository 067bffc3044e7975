package recipe

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/paved-dev/paved/internal/campaign/sandbox"
)

// runStep is the run step: a shell command in the workspace, through the
// sandbox (timeout killing its process group, scrubbed environment). What
// it leaves behind is checked: a new symlink out of the workspace, a new
// hard link, or a file over the workspace's size limit fails the step.
type runStep struct{ command string }

// fileState is what the check after a run compares.
type fileState struct {
	mode  fs.FileMode
	size  int64
	mtime time.Time
	link  string // a symlink's target
	nlink uint64
}

func (s runStep) apply(ctx context.Context, env Env, timeout time.Duration) (Report, error) {
	var rep Report
	before, err := snapshot(ctx, env.WS)
	if err != nil {
		return rep, fmt.Errorf("run: reading the workspace: %w", err)
	}
	res, err := sandbox.Run(ctx, sandbox.Command{Dir: env.WS.Dir, Shell: s.command, Timeout: timeout})
	rep.Log = res.Output
	if err != nil {
		return rep, fmt.Errorf("run: %w", err)
	}
	if res.TimedOut {
		if ctx.Err() != nil {
			return rep, fmt.Errorf("run: canceled after %s: %w", res.Duration.Round(time.Millisecond), ctx.Err())
		}
		return rep, fmt.Errorf("run: timed out after %s (the command and what it started were killed)", timeout)
	}
	if res.ExitCode != 0 {
		return rep, fmt.Errorf("run: exit status %d", res.ExitCode)
	}
	after, err := snapshot(context.WithoutCancel(ctx), env.WS)
	if err != nil {
		return rep, fmt.Errorf("run: reading the workspace: %w", err)
	}
	var problems []error
	for rel, st := range after {
		old, existed := before[rel]
		if existed && old == st {
			continue
		}
		rep.Changed = append(rep.Changed, rel)
		switch {
		case st.mode&fs.ModeSymlink != 0:
			if _, err := env.WS.Stat(rel); errors.Is(err, sandbox.ErrOutside) || strings.HasPrefix(st.link, "/") {
				problems = append(problems, fmt.Errorf("%s → %s: a symlink out of the workspace: %w", rel, st.link, sandbox.ErrOutside))
			}
		case st.mode.IsRegular() && st.size > env.WS.MaxFileSize:
			problems = append(problems, fmt.Errorf("%s: %d bytes is over the %d-byte limit for a file a recipe writes", rel, st.size, env.WS.MaxFileSize))
		case st.mode.IsRegular() && st.nlink > 1:
			problems = append(problems, fmt.Errorf("%s: a hard link (writing it could change a file outside the workspace): %w", rel, sandbox.ErrOutside))
		}
	}
	for rel := range before {
		if _, ok := after[rel]; !ok {
			rep.Changed = append(rep.Changed, rel)
		}
	}
	if len(problems) > 0 {
		sort.Slice(problems, func(i, j int) bool { return problems[i].Error() < problems[j].Error() })
		return rep, fmt.Errorf("run: the command left what a recipe may not: %w", errors.Join(problems...))
	}
	return rep, nil
}

// snapshot records every file and symlink of the workspace but .git.
func snapshot(ctx context.Context, ws *sandbox.Workspace) (map[string]fileState, error) {
	out := map[string]fileState{}
	err := walkFiles(ctx, ws, nil, func(rel string, d fs.DirEntry) error {
		fi, err := d.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		st := fileState{mode: fi.Mode(), size: fi.Size(), mtime: fi.ModTime()}
		if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
			st.nlink = uint64(sys.Nlink)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			st.link, _ = fs.ReadLink(ws.FS(), rel)
		}
		out[rel] = st
		return nil
	})
	return out, err
}
