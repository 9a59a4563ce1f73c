package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ledgerflow/ledgerflow/delta"
	"github.com/ledgerflow/ledgerflow/internal/tableview"
)

// tableCommand lets a user look at a Delta table without Spark: its state, its history and
// its rows, at the latest version or any earlier one.
func tableCommand() *cli.Command {
	versionFlag := &cli.Int64Flag{Name: "version", Value: -1, DefaultText: "latest", Usage: "read the table as of this version"}
	return &cli.Command{
		Name:  "table",
		Usage: "Inspect a Delta table: describe, history, show",
		Subcommands: []*cli.Command{
			{
				Name:      "describe",
				Usage:     "Version, protocol, schema, partitions, files, rows (current and historical for SCD type 2) and txn versions of a table",
				ArgsUsage: "PATH",
				Flags:     []cli.Flag{versionFlag, &cli.BoolFlag{Name: "json", Usage: "print JSON"}},
				Action: func(c *cli.Context) error {
					snap, err := openSnapshot(c)
					if err != nil {
						return err
					}
					return describe(c.Context, c.App.Writer, snap, c.Bool("json"))
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
				Usage:     "Rows of the table, optionally only some columns and the rows matching a condition",
				ArgsUsage: "PATH",
				Description: `
Prints the rows of the table (in file order), as a table or as JSON lines:

  ledgerflow table show ./lakehouse/silver/transactions
  ledgerflow table show ./lakehouse/silver/transactions --columns transaction_id,amount,status --where 'amount > 1000 && status == "pending"'
  ledgerflow table show ./lakehouse/silver/customers --where '__end_at == nil' --limit 0 --format json

--where is an expr-lang condition (https://expr-lang.org/docs/language-definition) over the
row's columns by name. Decimals compare exactly with numbers (amount >= 100.10), timestamps
with RFC 3339 or YYYY-MM-DD strings (_ingested_at > "2026-03-01"), dates are YYYY-MM-DD
text; a NULL column compares false, except col == nil.

In the table view a value wider than --max-width characters is cut and ends with …; JSON
lines always hold the whole value.`[1:],
				Flags: []cli.Flag{versionFlag,
					&cli.StringFlag{Name: "columns", Usage: "only these columns, in this order: a,b,c"},
					&cli.StringFlag{Name: "where", Usage: "only the rows for which this expr-lang condition is true"},
					&cli.IntFlag{Name: "limit", Value: 20, Usage: "at most this many rows (0: all)"},
					&cli.IntFlag{Name: "max-width", Value: 40, Usage: "table view: cut values wider than this many characters (0: never)"},
					&cli.StringFlag{Name: "format", Value: "table", Usage: "table, or json (one object per line)"},
				},
				Action: func(c *cli.Context) error {
					snap, err := openSnapshot(c)
					if err != nil {
						return err
					}
					return show(c.Context, c.App.Writer, snap, showOptions{
						columns: c.String("columns"), where: c.String("where"), limit: c.Int("limit"),
						maxWidth: c.Int("max-width"), format: c.String("format"),
					})
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
	// CurrentRows and HistoricalRows are set for an SCD type 2 table (columns __start_at and
	// __end_at): rows with a null __end_at, and the closed versions.
	CurrentRows    *int64           `json:"currentRows,omitempty"`
	HistoricalRows *int64           `json:"historicalRows,omitempty"`
	Txns           map[string]int64 `json:"txns"`
}

func describe(ctx context.Context, w io.Writer, snap *delta.Snapshot, asJSON bool) error {
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
	cur, hist, scd2, err := tableview.SCD2Counts(ctx, snap)
	if err != nil {
		return err
	}
	if scd2 {
		d.CurrentRows, d.HistoricalRows = &cur, &hist
		if !d.RowsExact {
			d.Rows, d.RowsExact = cur+hist, true
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
	if scd2 {
		rows += fmt.Sprintf(" (SCD type 2: %d current, %d historical)", cur, hist)
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

type showOptions struct {
	columns, where, format string
	limit, maxWidth        int
}

// show prints the rows that match, up to the limit. It reads files one at a time and stops
// at the first row past the limit, so a limited look at a large table reads little of it.
func show(ctx context.Context, w io.Writer, snap *delta.Snapshot, o showOptions) error {
	st, err := snap.Schema()
	if err != nil {
		return err
	}
	if o.format != "table" && o.format != "json" {
		return fmt.Errorf("--format %q: expected table or json", o.format)
	}
	names := make([]string, len(st.Fields))
	for i, f := range st.Fields {
		names[i] = f.Name
	}
	cols, err := tableview.Columns(names, o.columns)
	if err != nil {
		return err
	}
	var filter *tableview.Filter
	if o.where != "" {
		if filter, err = tableview.Compile(o.where, st.Fields); err != nil {
			return err
		}
	}
	var rows [][]any
	more := false
	stop := errors.New("limit reached")
	err = snap.Scan(ctx, func(_ *delta.Add, batch [][]any) error {
		for _, r := range batch {
			if filter != nil {
				ok, err := filter.Match(r)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
			}
			if o.limit > 0 && len(rows) >= o.limit {
				more = true
				return stop
			}
			rows = append(rows, r)
		}
		return nil
	})
	if err != nil && err != stop {
		return err
	}
	if o.format == "json" {
		enc := json.NewEncoder(w)
		for _, r := range rows {
			obj := make(map[string]any, len(cols))
			for _, i := range cols {
				obj[names[i]] = jsonValue(r[i])
			}
			if err := enc.Encode(obj); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	header := make([]string, len(cols))
	for j, i := range cols {
		header[j] = names[i]
	}
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	cut := false
	for _, r := range rows {
		cells := make([]string, len(cols))
		for j, i := range cols {
			full := render(r[i])
			cells[j] = tableview.Truncate(full, o.maxWidth)
			cut = cut || cells[j] != full
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// One footer for the whole listing, saying which defaults shaped it.
	notes := []string{fmt.Sprintf("%d rows shown, table version %d", len(rows), snap.Version())}
	if more {
		notes = append(notes, fmt.Sprintf("more rows match: --limit %d, 0 shows all", o.limit))
	}
	if cut {
		notes = append(notes, fmt.Sprintf("values wider than %d characters cut at %s: --max-width 0 or --format json shows them whole", o.maxWidth, tableview.Ellipsis))
	}
	fmt.Fprintf(w, "(%s)\n", strings.Join(notes, "; "))
	return nil
}

// render prints a cell exactly (see tableview.Text).
func render(v any) string { return tableview.Text(v) }

// jsonValue turns a cell into a JSON value without losing precision (see tableview.JSONValue).
func jsonValue(v any) any { return tableview.JSONValue(v) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
