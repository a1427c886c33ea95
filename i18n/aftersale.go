package i18n

import (
	"fmt"
	"maps"
	"strconv"
	"strings"
)

// After the sale: top-ups, low-data alerts, install notices and /usage.
// The texts live here, merged into the catalogues at start, so this part
// and the order texts grow without touching each other.
const (
	TopUpAdded             Key = "top_up_added"              // data, ICCID tail, plan name
	TopUpCaptionInstall    Key = "top_up_caption_install"    // data, ICCID tail, plan name, SM-DP+, code, iOS link, Android link
	TopUpCaptionReassigned Key = "top_up_caption_reassigned" // plan name, old ICCID tail, SM-DP+, code, iOS link, Android link
	TopUpButton            Key = "top_up_button"
	DataUnlimited          Key = "data_unlimited"
	UsageAlert             Key = "usage_alert"      // percent, data, ICCID tail, plan name
	UsageAlertUsedUp       Key = "usage_alert_100"  // data, ICCID tail, plan name
	ESIMInstalled          Key = "esim_installed"   // ICCID tail, plan name
	InstallReminder        Key = "install_reminder" // ICCID tail, plan name, iOS link, Android link, SM-DP+, code
	CheckoutESIMNotFound   Key = "checkout_esim_not_found"
	CheckoutIncompatible   Key = "checkout_incompatible"
	CheckoutSalesPaused    Key = "checkout_sales_paused"
	SalesPaused            Key = "sales_paused"

	CmdUsageDesc         Key = "cmd_usage"
	UsageEmpty           Key = "usage_empty"
	UsageHeader          Key = "usage_header"
	UsageESIM            Key = "usage_esim"             // plan name, ICCID tail, install state
	UsageBundle          Key = "usage_bundle"           // bundle, data left, data total, state
	UsageBundleUnlimited Key = "usage_bundle_unlimited" // bundle, state
	UsageUntil           Key = "usage_until"            // state, date
	UsageNoBundles       Key = "usage_no_bundles"
	UsageStale           Key = "usage_stale" // data as of
)

// InstallStateKey names the label of an install state (not_installed, installed, removed).
func InstallStateKey(state string) Key { return Key("install_" + state) }

// BundleStateKey names the label of an eSIM Go bundle state (active, queued, …).
func BundleStateKey(state string) Key { return Key("bundle_" + state) }

var englishAfterSale = map[Key]string{
	TopUpAdded: "✅ <b>%s</b> added to your eSIM …%s (%s). Nothing to install: the eSIM already on your phone uses it.",
	TopUpCaptionInstall: "<b>%s added to your eSIM …%s</b> (%s)\n\n" +
		"This eSIM is not installed yet. Scan this QR code in Settings → Mobile data → Add eSIM.\n\n" +
		"Manual installation:\nSM-DP+ address: <code>%s</code>\nActivation code: <code>%s</code>\n\n" +
		"<a href=\"%s\">Install on iPhone with one tap</a>\n<a href=\"%s\">Install on Android with one tap</a>",
	TopUpCaptionReassigned: "<b>Your %s came on a new eSIM</b>\n\n" +
		"The network could not add this plan to your eSIM …%s, so it was issued on a new eSIM. Install this one: " +
		"scan the QR code in Settings → Mobile data → Add eSIM. Your other eSIM keeps what it has left.\n\n" +
		"Manual installation:\nSM-DP+ address: <code>%s</code>\nActivation code: <code>%s</code>\n\n" +
		"<a href=\"%s\">Install on iPhone with one tap</a>\n<a href=\"%s\">Install on Android with one tap</a>",
	TopUpButton:      "Top up",
	DataUnlimited:    "Unlimited data",
	UsageAlert:       "⚠️ %d %% of %s used on your eSIM …%s (%s). Top up now to stay online.",
	UsageAlertUsedUp: "⛔ All %s of your eSIM …%s (%s) is used. Top up to get back online.",
	ESIMInstalled: "Your eSIM …%s is installed ✓ (%s)\n\n" +
		"When you arrive, turn on data roaming for this eSIM and choose it for mobile data.",
	InstallReminder: "Your eSIM …%s (%s) is not installed yet. Install it before you travel, in one tap:\n" +
		"<a href=\"%s\">Install on iPhone</a> · <a href=\"%s\">Install on Android</a>\n\n" +
		"Or enter it in Settings → Mobile data → Add eSIM:\nSM-DP+ address: <code>%s</code>\nActivation code: <code>%s</code>\n\n" +
		"When you arrive, turn on data roaming for this eSIM and choose it for mobile data.",
	CheckoutESIMNotFound: "This eSIM is not in your account any more. Please pick the eSIM again.",
	CheckoutIncompatible: "This plan cannot be added to this eSIM. Please pick another plan.",
	CheckoutSalesPaused:  "Sales are paused for a few minutes. Nothing was charged; please try again later.",
	SalesPaused:          "Sales are paused for a few minutes. Nothing was charged; please try again later.",

	CmdUsageDesc:         "Data left and install state",
	UsageEmpty:           "You have no eSIMs yet.",
	UsageHeader:          "Your eSIMs:",
	UsageESIM:            "<b>%s</b>\neSIM …%s · %s",
	UsageBundle:          "• %s: %s of %s left · %s",
	UsageBundleUnlimited: "• %s: unlimited · %s",
	UsageUntil:           "%s until %s",
	UsageNoBundles:       "• no plan on it",
	UsageStale:           "(as of %s)",

	"install_not_installed": "not installed",
	"install_installed":     "installed ✓",
	"install_removed":       "removed from the phone",
	"bundle_processing":     "being added",
	"bundle_queued":         "starts after the current plan",
	"bundle_active":         "in use",
	"bundle_depleted":       "used up",
	"bundle_expired":        "expired",
	"bundle_lapsed":         "expired unused",
	"bundle_revoked":        "removed",
}

var russianAfterSale = map[Key]string{
	TopUpAdded: "✅ <b>%s</b> добавлено на вашу eSIM …%s (%s). Ничего устанавливать не нужно: eSIM на телефоне уже использует этот пакет.",
	TopUpCaptionInstall: "<b>%s добавлено на вашу eSIM …%s</b> (%s)\n\n" +
		"Эта eSIM ещё не установлена. Отсканируйте QR-код в Настройках → Сотовая связь → Добавить eSIM.\n\n" +
		"Ручная установка:\nАдрес SM-DP+: <code>%s</code>\nКод активации: <code>%s</code>\n\n" +
		"<a href=\"%s\">Установить на iPhone в одно касание</a>\n<a href=\"%s\">Установить на Android в одно касание</a>",
	TopUpCaptionReassigned: "<b>Ваш тариф %s выпущен на новой eSIM</b>\n\n" +
		"Оператор не смог добавить этот тариф на вашу eSIM …%s, поэтому он выпущен на новой eSIM. Установите её: " +
		"отсканируйте QR-код в Настройках → Сотовая связь → Добавить eSIM. На прежней eSIM остаётся всё, что на ней было.\n\n" +
		"Ручная установка:\nАдрес SM-DP+: <code>%s</code>\nКод активации: <code>%s</code>\n\n" +
		"<a href=\"%s\">Установить на iPhone в одно касание</a>\n<a href=\"%s\">Установить на Android в одно касание</a>",
	TopUpButton:      "Пополнить",
	DataUnlimited:    "Безлимитный интернет",
	UsageAlert:       "⚠️ Израсходовано %d %% из %s на вашей eSIM …%s (%s). Пополните, чтобы остаться на связи.",
	UsageAlertUsedUp: "⛔ Все %s на вашей eSIM …%s (%s) израсходованы. Пополните, чтобы снова выйти в интернет.",
	ESIMInstalled: "Ваша eSIM …%s установлена ✓ (%s)\n\n" +
		"По прилёте включите для этой eSIM роуминг данных и выберите её для мобильного интернета.",
	InstallReminder: "Ваша eSIM …%s (%s) ещё не установлена. Установите её до поездки в одно касание:\n" +
		"<a href=\"%s\">Установить на iPhone</a> · <a href=\"%s\">Установить на Android</a>\n\n" +
		"Или введите вручную в Настройках → Сотовая связь → Добавить eSIM:\nАдрес SM-DP+: <code>%s</code>\nКод активации: <code>%s</code>\n\n" +
		"По прилёте включите для этой eSIM роуминг данных и выберите её для мобильного интернета.",
	CheckoutESIMNotFound: "Этой eSIM больше нет в вашем аккаунте. Выберите eSIM заново.",
	CheckoutIncompatible: "Этот тариф нельзя добавить на эту eSIM. Выберите другой тариф.",
	CheckoutSalesPaused:  "Продажи приостановлены на несколько минут. Деньги не списаны; попробуйте позже.",
	SalesPaused:          "Продажи приостановлены на несколько минут. Деньги не списаны; попробуйте позже.",

	CmdUsageDesc:         "Остаток трафика и установка",
	UsageEmpty:           "У вас пока нет eSIM.",
	UsageHeader:          "Ваши eSIM:",
	UsageESIM:            "<b>%s</b>\neSIM …%s · %s",
	UsageBundle:          "• %s: осталось %s из %s · %s",
	UsageBundleUnlimited: "• %s: безлимит · %s",
	UsageUntil:           "%s до %s",
	UsageNoBundles:       "• тарифов нет",
	UsageStale:           "(данные на %s)",

	"install_not_installed": "не установлена",
	"install_installed":     "установлена ✓",
	"install_removed":       "удалена с телефона",
	"bundle_processing":     "добавляется",
	"bundle_queued":         "начнётся после текущего тарифа",
	"bundle_active":         "используется",
	"bundle_depleted":       "израсходован",
	"bundle_expired":        "истёк",
	"bundle_lapsed":         "истёк неиспользованным",
	"bundle_revoked":        "снят",
}

func init() {
	maps.Copy(english, englishAfterSale)
	maps.Copy(russian, russianAfterSale)
}

// DataAmount formats bytes as eSIM Go counts them (1 GB = 10^9 bytes):
// "3 GB", "2.1 GB", "500 MB" (ru: "3 ГБ", "2,1 ГБ", "500 МБ").
func DataAmount(lang string, bytes int64) string {
	gb, mb := "GB", "MB"
	if Lang(lang) == "ru" {
		gb, mb = "ГБ", "МБ"
	}
	switch {
	case bytes >= 1e9:
		v := float64(bytes) / 1e9
		s := strconv.FormatFloat(v, 'f', 1, 64)
		if v >= 10 || bytes%1e9 == 0 {
			s = strconv.FormatFloat(v, 'f', 0, 64)
		}
		s = strings.TrimSuffix(s, ".0")
		if Lang(lang) == "ru" {
			s = strings.ReplaceAll(s, ".", ",")
		}
		return s + " " + gb
	case bytes >= 1e6:
		return fmt.Sprintf("%d %s", bytes/1e6, mb)
	}
	return fmt.Sprintf("%d %s", max(bytes/1e3, 0), map[bool]string{true: "КБ", false: "KB"}[Lang(lang) == "ru"])
}

// Tail is the end of an ICCID, how buyers tell their eSIMs apart ("…1234").
func Tail(iccid string) string {
	if len(iccid) <= 4 {
		return iccid
	}
	return iccid[len(iccid)-4:]
}
