package finance

import (
	"fmt"
	"html"
	"strings"
	"text/tabwriter"
)

// Text renders a report for a terminal (esimstore finance).
func Text(r Report) string {
	var b strings.Builder
	writeText(&b, r)
	return b.String()
}

// telegramLimit keeps a message under Telegram's 4,096 characters (counted
// after HTML entities are parsed), with room for the cut notice.
const telegramLimit = 3900

// TelegramHTML renders a report as one message for parse_mode HTML (the
// support chat's /finance): the text of Text, escaped (plan names and error
// texts come from eSIM Go and Telegram), in a <pre> block so the columns
// line up. A report too long for one message is cut at a line, and says so.
func TelegramHTML(r Report) string {
	text := Text(r)
	if len([]rune(text)) > telegramLimit {
		cut := string([]rune(text)[:telegramLimit])
		if i := strings.LastIndexByte(cut, '\n'); i > 0 {
			cut = cut[:i]
		}
		text = cut + "\n… cut: run esimstore finance or GET /admin/finance for the rest"
	}
	return "<pre>" + html.EscapeString(text) + "</pre>"
}

// writeText writes to a strings.Builder, whose writes cannot fail (the
// errors dropped below are always nil).
func writeText(w *strings.Builder, r Report) {
	fmt.Fprintf(w, "Stars finance %s to %s (days in UTC; 1 Star = %s USD)\n\n", r.From, r.To, r.StarsUSDRate)
	fmt.Fprintf(w, "Stars received  %d (%s)\n", r.StarsReceived, plural(r.Payments, "payment"))
	fmt.Fprintf(w, "Stars refunded  %d (%s)\n", r.StarsRefunded, plural(r.Refunds, "refund"))
	fmt.Fprintf(w, "Stars net       %d = %s USD\n", r.StarsNet, r.RevenueUSD)
	fmt.Fprintf(w, "Wholesale       %s USD (%s, %s USD credited back)\n", r.WholesaleUSD, plural(r.ESIMOrders, "eSIM Go order"), r.CreditedUSD)
	if r.UnpricedESIMOrders > 0 {
		fmt.Fprintf(w, "                %s without a price: their cost is missing\n", plural(r.UnpricedESIMOrders, "eSIM Go order"))
	}
	fmt.Fprintf(w, "Gross margin    %s USD\n\n", r.MarginUSD)

	if r.StarBalance != nil {
		fmt.Fprintf(w, "Star balance    %d at Telegram, %d expected from the ledger, difference %+d", *r.StarBalance, r.StarBalanceExpected, *r.StarBalanceDifference)
		if r.StarsRefundPending > 0 {
			fmt.Fprintf(w, " (%d Stars of refunds in flight)", r.StarsRefundPending)
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintf(w, "Star balance    unknown (%s); %d expected from the ledger\n", r.StarBalanceError, r.StarBalanceExpected)
	}
	if r.ESIMGoBalance != nil {
		runway := "no spend in the last 7 days"
		if r.RunwayDays != nil {
			runway = *r.RunwayDays + " days of runway"
		}
		fmt.Fprintf(w, "eSIM Go balance %s %s, %s (spent %s USD in the last 7 days)\n", r.ESIMGoBalance, r.ESIMGoCurrency, runway, r.WholesaleLast7DaysUSD)
	} else {
		fmt.Fprintf(w, "eSIM Go balance unknown (%s)\n", r.ESIMGoError)
	}

	fmt.Fprintf(w, "\nBy day\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row(tw, "date\treceived\trefunded\tnet\twholesale\tmargin\t\n")
	for _, d := range r.Days {
		if d.Payments == 0 && d.Refunds == 0 && d.ESIMOrders == 0 && d.CreditedUSD.IsZero() {
			continue // quiet days are in the JSON, not worth a line here
		}
		row(tw, "%s\t%d\t%d\t%d\t%s\t%s\t\n", d.Date, d.StarsReceived, d.StarsRefunded, d.StarsNet, d.WholesaleUSD, d.MarginUSD)
	}
	flush(tw)
	fmt.Fprintf(w, "\nBy plan\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row(tw, "plan\treceived\trefunded\tnet\twholesale\tmargin\n")
	for _, p := range r.Plans {
		name := p.PlanID
		if name == "" {
			name = p.PlanName
		}
		row(tw, "%s\t%d\t%d\t%d\t%s\t%s\n", name, p.StarsReceived, p.StarsRefunded, p.StarsNet, p.WholesaleUSD, p.MarginUSD)
	}
	flush(tw)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// row writes one line of a table; tabwriter buffers it until flush, and its
// destination is a strings.Builder, so neither can fail.
func row(tw *tabwriter.Writer, format string, args ...any) {
	_, _ = fmt.Fprintf(tw, format, args...) //nolint:errcheck // see above
}

// flush ends a table written into a strings.Builder, which cannot fail.
func flush(tw *tabwriter.Writer) {
	_ = tw.Flush() //nolint:errcheck // the destination is a strings.Builder
}
