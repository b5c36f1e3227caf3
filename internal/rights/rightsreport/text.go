package rightsreport

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/ecowatch/ecowatch/internal/chinatime"
	"github.com/ecowatch/ecowatch/internal/workbook"
)

// Encode writes the report as "table" (plain text, aligned), "json" or
// "xlsx" (Chinese headers).
func Encode(w io.Writer, rep Report, format string) error {
	switch format {
	case "xlsx":
		return WriteXLSX(w, workbook.Chinese, rep)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	row := func(cells ...any) {
		for _, c := range cells {
			fmt.Fprint(tw, c, "\t")
		}
		fmt.Fprintln(tw)
	}
	switch r := rep.(type) {
	case ReservoirReport:
		row("year", "account", "pollutant", "opening t/a", "banked", "transfer in", "bought back", "returned", "other in",
			"allocated", "sold", "transfer out", "retired", "expired", "other out", "closing t/a")
		for _, x := range r.Rows {
			row(x.Year, x.Account, x.Pollutant, x.Opening, x.Banked, x.TransferIn, x.BoughtBack, x.Returned, x.OtherIn,
				x.Allocated, x.Sold, x.TransferOut, x.Retired, x.Expired, x.OtherOut, x.Closing)
		}
	case ProjectReport:
		row("year", "county", "pollutant", "served", "need t/a", "offset t/a", "pending", "pending offset t/a", "released")
		for _, x := range r.Summary {
			row(x.Year, x.County, x.Pollutant, x.Served, x.Need, x.Offset, x.Pending, x.PendingOffset, x.Released)
		}
		row()
		row("year", "county", "pollutant", "allocation", "EIA", "project", "type", "ratio", "need t/a", "offset t/a",
			"granted t/a", "written off t/a", "status")
		for _, x := range r.Projects {
			row(x.Year, x.County, x.Pollutant, x.Allocation, x.EIA, x.Project, x.ProjectType, x.Ratio, x.Need, x.Offset,
				x.Granted, x.WrittenOff, x.Status)
		}
	case TradeReport:
		row("pollutant", "month", "trades", "order book", "auctions", "agreements", "quantity t/a",
			"min yuan/t", "avg yuan/t", "max yuan/t", "value yuan")
		for _, x := range r.Rows {
			row(x.Pollutant, x.Month, x.Count, x.OrderBook, x.Auctions, x.Agreements, x.Quantity,
				x.MinPrice, x.AvgPrice, x.MaxPrice, x.Value)
		}
	case StatementReport:
		row("asset", "seq", "time (CST)", "op", "ref", "counterparty", "in", "out", "balance")
		for _, s := range r.Rights {
			row(s.Asset, "", "", "opening", "", "", "", "", s.Opening)
			for _, l := range s.Lines {
				row(s.Asset, l.Seq, cstClock(l.Time), l.Op, l.Ref, l.Counterparty, l.In, l.Out, l.Balance)
			}
			row(s.Asset, "", "", "closing", "", "", s.In, s.Out, s.Closing)
		}
		m := r.Money
		row(m.Asset+" yuan", "", "", "opening", "", "", "", "", m.Opening)
		for _, l := range m.Lines {
			row(m.Asset+" yuan", l.Seq, cstClock(l.Time), l.Op, l.Ref, l.Counterparty, l.In, l.Out, l.Balance)
		}
		row(m.Asset+" yuan", "", "", "closing", "", "", m.In, m.Out, m.Closing)
	}
	return tw.Flush()
}

// cstClock formats a time in China Standard Time, to the second.
func cstClock(t time.Time) string {
	return t.In(chinatime.Zone).Format("2006-01-02 15:04:05")
}
