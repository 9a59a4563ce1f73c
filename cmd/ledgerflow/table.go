package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/delta/schema"
)

// tableCommand lets a user look at a Delta table without Spark: its state, its history and
// its rows, at the latest version or any earlier one.
func tableCommand() *cli.Command {
	versionFlag := &cli.Int64Flag{Name: "version", Value: -1, Usage: "read the table as of this version (default: latest)"}
	return &cli.Command{
		Name:  "table",
		Usage: "Inspect a Delta table: describe, history, show",
		Subcommands: []*cli.Command{
			{
				Name:      "describe",
				Usage:     "Version, protocol, schema, partitions, files, rows and txn versions of a table",
				ArgsUsage: "PATH",
				Flags:     []cli.Flag{versionFlag, &cli.BoolFlag{Name: "json", Usage: "print JSON"}},
				Action: func(c *cli.Context) error {
					snap, err := openSnapshot(c)
					if err != nil {
						return err
					}
					return describe(c.App.Writer, snap, c.Bool("json"))
				},
			},
			{
				Name:      "history",
				Usage:     "The table's commits, newest first",
				ArgsUsage: "PATH",
				Flags:     []cli.Flag{&cli.IntFlag{Name: "limit", Value: 20, Usage: "at most this many commits (0: all)"}},
				Action: func(c *cli.Context) error {
					path, err := onePath(c)
					if err != nil {
						return err
					}
					hist, err := delta.OpenLocal(path).History(c.Context, c.Int("limit"))
					if err != nil {
						return fmt.Errorf("%s: %w", path, err)
					}
					return printHistory(c.App.Writer, hist)
				},
			},
			{
				Name:      "show",
				Usage:     "Rows of the table",
				ArgsUsage: "PATH",
				Flags: []cli.Flag{versionFlag,
					&cli.IntFlag{Name: "limit", Value: 20, Usage: "at most this many rows (0: all)"},
					&cli.StringFlag{Name: "format", Value: "table", Usage: "table | json (one object per line)"},
				},
				Action: func(c *cli.Context) error {
					snap, err := openSnapshot(c)
					if err != nil {
						return err
					}
					return show(c.Context, c.App.Writer, snap, c.Int("limit"), c.String("format"))
				},
			},
		},
	}
}

func onePath(c *cli.Context) (string, error) {
	if c.NArg() != 1 {
		return "", fmt.Errorf("expected one table path, got %d arguments", c.NArg())
	}
	return c.Args().First(), nil
}

func openSnapshot(c *cli.Context) (*delta.Snapshot, error) {
	path, err := onePath(c)
	if err != nil {
		return nil, err
	}
	t := delta.OpenLocal(path)
	var snap *delta.Snapshot
	if v := c.Int64("version"); v >= 0 {
		snap, err = t.SnapshotAt(c.Context, v)
	} else {
		snap, err = t.Snapshot(c.Context)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return snap, nil
}

type tableDescription struct {
	Version          int64             `json:"version"`
	Protocol         delta.Protocol    `json:"protocol"`
	ID               string            `json:"id"`
	Columns          []string          `json:"columns"`
	PartitionColumns []string          `json:"partitionColumns"`
	Configuration    map[string]string `json:"configuration"`
	Files            int               `json:"files"`
	Bytes            int64             `json:"bytes"`
	Rows             int64             `json:"rows"`
	RowsExact        bool              `json:"rowsExact"`
	Txns             map[string]int64  `json:"txns"`
}

func describe(w io.Writer, snap *delta.Snapshot, asJSON bool) error {
	st, err := snap.Schema()
	if err != nil {
		return err
	}
	md := snap.Metadata()
	d := tableDescription{Version: snap.Version(), Protocol: snap.Protocol(), ID: md.ID,
		PartitionColumns: snap.PartitionColumns(), Configuration: snap.Configuration(), Txns: snap.Txns(), RowsExact: true}
	for _, f := range st.Fields {
		null := ""
		if !f.Nullable {
			null = " not null"
		}
		d.Columns = append(d.Columns, f.Name+" "+f.Type.String()+null)
	}
	for _, f := range snap.Files() {
		d.Files++
		d.Bytes += f.Size
		if n, ok := f.NumRecords(); ok {
			d.Rows += n
		} else {
			d.RowsExact = false
		}
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(d)
	}
	fmt.Fprintf(w, "version     %d\n", d.Version)
	fmt.Fprintf(w, "table id    %s\n", d.ID)
	fmt.Fprintf(w, "protocol    reader %d, writer %d", d.Protocol.MinReaderVersion, d.Protocol.MinWriterVersion)
	if feats := append(append([]string{}, d.Protocol.ReaderFeatures...), d.Protocol.WriterFeatures...); len(feats) > 0 {
		fmt.Fprintf(w, " (features: %s)", strings.Join(feats, ", "))
	}
	fmt.Fprintln(w)
	rows := fmt.Sprint(d.Rows)
	if !d.RowsExact {
		rows += " (some files have no statistics)"
	}
	fmt.Fprintf(w, "files       %d (%d bytes)\nrows        %s\n", d.Files, d.Bytes, rows)
	fmt.Fprintf(w, "partitions  %s\n", strings.Join(d.PartitionColumns, ", "))
	fmt.Fprintln(w, "columns")
	for _, c := range d.Columns {
		fmt.Fprintf(w, "  %s\n", c)
	}
	if len(d.Configuration) > 0 {
		fmt.Fprintln(w, "properties")
		for _, k := range sortedKeys(d.Configuration) {
			fmt.Fprintf(w, "  %s = %s\n", k, d.Configuration[k])
		}
	}
	if len(d.Txns) > 0 {
		fmt.Fprintln(w, "txn versions (exactly-once state per application id)")
		for _, k := range sortedKeys(d.Txns) {
			fmt.Fprintf(w, "  %s = %d\n", k, d.Txns[k])
		}
	}
	return nil
}

func printHistory(w io.Writer, hist []delta.HistoryEntry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tTIME\tOPERATION\tDETAILS")
	for _, h := range hist {
		op, _ := h.Info["operation"].(string)
		var details []string
		for _, k := range sortedKeys(h.Info) {
			switch k {
			case "operation", "timestamp", "engineInfo", "txnId":
				continue
			}
			b, _ := json.Marshal(h.Info[k])
			details = append(details, k+"="+string(b))
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", h.Version, h.Time.UTC().Format(time.RFC3339), op, strings.Join(details, " "))
	}
	return tw.Flush()
}

func show(ctx context.Context, w io.Writer, snap *delta.Snapshot, limit int, format string) error {
	st, err := snap.Schema()
	if err != nil {
		return err
	}
	if format != "table" && format != "json" {
		return fmt.Errorf("--format %q: expected table or json", format)
	}
	var rows [][]any
	stop := fmt.Errorf("limit reached")
	err = snap.Scan(ctx, func(_ *delta.Add, batch [][]any) error {
		for _, r := range batch {
			if limit > 0 && len(rows) >= limit {
				return stop
			}
			rows = append(rows, r)
		}
		return nil
	})
	if err != nil && err != stop {
		return err
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		for _, r := range rows {
			obj := make(map[string]any, len(r))
			for i, f := range st.Fields {
				obj[f.Name] = jsonValue(r[i])
			}
			if err := enc.Encode(obj); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	names := make([]string, len(st.Fields))
	for i, f := range st.Fields {
		names[i] = f.Name
	}
	fmt.Fprintln(tw, strings.Join(names, "\t"))
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, v := range r {
			cells[i] = render(v)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "(%d rows shown, table version %d)\n", len(rows), snap.Version())
	return nil
}

// render prints a cell exactly: decimals at their scale, timestamps in UTC to the microsecond.
func render(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return strings.NewReplacer("\t", `\t`, "\n", `\n`).Replace(x)
	default:
		b, _ := json.Marshal(jsonValue(v))
		return strings.Trim(string(b), `"`)
	}
}

// jsonValue turns a cell into a JSON-friendly value without losing precision: decimals and
// 64-bit integers as strings would be safer for JavaScript, but the decimal keeps its exact
// text and integers stay integers, which every JSON reader in Go, Python and Java handles.
func jsonValue(v any) any {
	switch x := v.(type) {
	case schema.Decimal:
		return json.Number(x.String())
	case schema.Date:
		return x.String()
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.000000Z")
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e)
		}
		return out
	case []schema.MapEntry:
		out := make([][2]any, len(x))
		for i, e := range x {
			out[i] = [2]any{jsonValue(e.Key), jsonValue(e.Value)}
		}
		return out
	}
	return v
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
