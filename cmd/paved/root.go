package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"

	"github.com/paved-dev/paved/internal/config"
)

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "paved",
		Short: "paved — the platform-engineering control plane",
		Long: `paved discovers every service from its git repositories, grades it against
agreed standards, carries migrations for the teams, guards production deploys
and tells each team only what applies to it.

Exit codes: 0 success, 1 failure, 2 wrong command line.
Configuration: flags > PAVED_* environment > config file (paved.yaml in the
data directory, or --config) > defaults. See 'paved config'.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if a.cpuProfile != "" {
				f, err := os.Create(a.cpuProfile)
				if err != nil {
					return err
				}
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				a.closers = append(a.closers, func() { pprof.StopCPUProfile(); f.Close() })
			}
			if a.memProfile != "" {
				runtime.MemProfileRate = 64 << 10
				a.closers = append(a.closers, func() {
					if f, err := os.Create(a.memProfile); err == nil {
						_ = pprof.Lookup("allocs").WriteTo(f, 0)
						f.Close()
					}
				})
			}
			return a.loadConfig(cmd)
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.configFile, "config", "", "config file (default: paved.yaml in the data directory; env PAVED_CONFIG)")
	pf.StringVarP(&a.output, "output", "o", "text", "output format of read commands: text (or table) or json (reports also csv)")
	pf.StringVar(&a.cpuProfile, "cpuprofile", "", "write a CPU profile of the command to this file")
	_ = pf.MarkHidden("cpuprofile")
	pf.StringVar(&a.memProfile, "memprofile", "", "write a profile of the command's allocations to this file")
	_ = pf.MarkHidden("memprofile")
	for _, s := range config.Settings {
		usage := fmt.Sprintf("%s (env %s)", s.Usage, s.Env())
		switch s.Key {
		case "sources", "org_files", "admins", "trusted_proxies":
			pf.StringSlice(s.Flag, nil, usage)
		default:
			pf.String(s.Flag, "", usage)
		}
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		a.scanCommand(),
		a.catalogCommand(),
		a.orgCommand(),
		a.serveCommand(),
		a.workerCommand(),
		a.demoCommand(),
		a.fleetCommand(),
		a.configCommand(),
		a.benchCommand(),
		a.tokenCommand(),
		a.scorecardCommand(),
		a.statusCommand(),
		a.feedCommand(),
		a.gateCommand(),
		a.campaignCommand(),
		a.changeCommand(),
		a.waiverCommand(),
		a.approvalCommand(),
		a.auditCommand(),
		a.reportCommand(),
	)
	return root
}

func (a *app) configCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "config",
		Short: "Print the effective configuration and where each value came from (secrets redacted)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c := *a.cfg
			c.DB = config.Redacted(c.DB)
			if c.GitHubToken != "" {
				c.GitHubToken = "REDACTED"
			}
			if a.output == "json" {
				return a.printJSON(c)
			}
			values := map[string]string{
				"data_dir": c.DataDir, "db": c.DB, "addr": c.Addr,
				"sources": strings.Join(c.Sources, ","), "org_files": strings.Join(c.OrgFiles, ","),
				"log_level": c.LogLevel, "log_format": c.LogFormat,
				"scan_workers": fmt.Sprint(c.ScanWorkers), "scan_interval": c.ScanInterval.String(),
				"job_workers": fmt.Sprint(c.JobWorkers),
				"session_ttl": c.SessionTTL.String(), "session_idle": c.SessionIdle.String(),
			}
			keys := make([]string, 0, len(values))
			for _, s := range config.Settings {
				keys = append(keys, s.Key)
			}
			tw := newTable(a.stdout)
			tw.row("SETTING", "VALUE", "FROM")
			for _, k := range keys {
				tw.row(k, values[k], c.Origins[k])
			}
			if c.File != "" {
				tw.row("(config file)", c.File, "")
			}
			return tw.flush()
		},
	}
}
