package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/starsesim/esimstore/i18n"
	"github.com/starsesim/esimstore/store"
)

type stubESIMs map[int64][]store.OwnedESIM

func (s stubESIMs) List(_ context.Context, userID int64) ([]store.OwnedESIM, error) {
	return s[userID], nil
}

func TestUsageListsDataLeftInTheBuyersLanguage(t *testing.T) {
	ends := time.Date(2026, 1, 8, 10, 0, 0, 0, time.UTC)
	refreshed := time.Date(2026, 1, 2, 9, 30, 0, 0, time.UTC)
	esims := stubESIMs{ru.ID: {{ICCID: "8944538532008160222", PlanName: "Japan · 3 GB · 30 days", InstallState: store.InstallInstalled,
		RefreshedAt: &refreshed, Bundles: []store.ESIMBundle{
			{Name: "esim_3GB_30D_JP_V2", Description: "eSIM, 3GB <JP> & more", Initial: 3e9, Remaining: 2.1e9, State: "active", EndsAt: &ends},
			{Name: "esim_ULE_7D_JP_V2", Description: "Unlimited", Unlimited: true, State: "queued"},
		}}}}
	r := newRig(t, stubLedger{})
	r.h.ESIMs = esims
	if err := r.h.HandleMessage(context.Background(), msg(ru, 1, "/usage")); err != nil {
		t.Fatal(err)
	}
	got := r.lastReply(t, ru.ID).Text
	for _, want := range []string{
		i18n.T("ru", i18n.UsageHeader),
		"<b>Japan · 3 GB · 30 days</b>\neSIM …0222 · установлена ✓",
		"• eSIM, 3GB &lt;JP&gt; &amp; more: осталось 2,1 ГБ из 3 ГБ · используется до 2026-01-08",
		"• Unlimited: безлимит · начнётся после текущего тарифа",
		"(данные на 2026-01-02 09:30 UTC)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("reply lacks %q:\n%s", want, got)
		}
	}
	if err := r.h.HandleMessage(context.Background(), msg(en, 2, "/usage")); err != nil {
		t.Fatal(err)
	}
	if got := r.lastReply(t, en.ID); got.Text != i18n.T("en", i18n.UsageEmpty) || len(got.Buttons) != 1 {
		t.Errorf("no eSIMs: %q %+v", got.Text, got.Buttons)
	}
}
