package bot

import (
	"context"
	"strings"
	"time"

	"github.com/starsesim/esimstore/i18n"
	"github.com/starsesim/esimstore/store"
	"github.com/starsesim/esimstore/telegram"
)

// usage answers /usage: each eSIM with its install state and every bundle
// on it, data left of total and until when, in the buyer's language. Names
// and descriptions from eSIM Go are escaped (i18n.HTML).
func (h *Handler) usage(ctx context.Context, m *telegram.Message, lang string) error {
	var list []store.OwnedESIM
	if h.ESIMs != nil {
		var err error
		if list, err = h.ESIMs.List(ctx, m.From.ID); err != nil {
			h.log().Error("list esims for the chat", "user_id", m.From.ID, "err", err)
			return h.reply(ctx, m, i18n.T(lang, i18n.CheckoutBusy))
		}
	}
	if len(list) == 0 {
		return h.reply(ctx, m, i18n.T(lang, i18n.UsageEmpty), h.storeButton(lang)...)
	}
	parts := []string{i18n.T(lang, i18n.UsageHeader)}
	for _, e := range list {
		lines := []string{i18n.HTML(lang, i18n.UsageESIM, e.PlanName, i18n.Tail(e.ICCID),
			i18n.T(lang, i18n.InstallStateKey(e.InstallState)))}
		for _, b := range e.Bundles {
			lines = append(lines, bundleLine(lang, b))
		}
		if len(e.Bundles) == 0 {
			lines = append(lines, i18n.T(lang, i18n.UsageNoBundles))
		}
		if e.RefreshedAt != nil {
			lines = append(lines, i18n.T(lang, i18n.UsageStale, e.RefreshedAt.UTC().Format("2006-01-02 15:04 UTC")))
		}
		parts = append(parts, strings.Join(lines, "\n"))
	}
	return h.reply(ctx, m, strings.Join(parts, "\n\n"), h.storeButton(lang)...)
}

func bundleLine(lang string, b store.ESIMBundle) string {
	name := b.Description
	if name == "" {
		name = b.Name
	}
	state := i18n.T(lang, i18n.BundleStateKey(b.State))
	if state == "" || b.State == "" {
		state = b.State
	}
	if b.EndsAt != nil && (b.State == "active" || b.State == "depleted") {
		state = i18n.T(lang, i18n.UsageUntil, state, b.EndsAt.UTC().Format(time.DateOnly))
	}
	if b.Unlimited {
		return i18n.HTML(lang, i18n.UsageBundleUnlimited, name, state)
	}
	return i18n.HTML(lang, i18n.UsageBundle, name, i18n.DataAmount(lang, b.Remaining), i18n.DataAmount(lang, b.Initial), state)
}
