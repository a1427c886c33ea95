package telegramtest

import (
	"net/http"
	"strings"
)

type handler func(f *Fake, r *http.Request, c *Call) (any, *apiError)

// lookupMethod maps a method name to its handler and canonical spelling;
// Telegram treats method names case-insensitively.
func lookupMethod(name string) (handler, string) {
	switch strings.ToLower(name) {
	case "getme":
		return (*Fake).getMe, "getMe"
	case "setwebhook":
		return (*Fake).setWebhook, "setWebhook"
	case "deletewebhook":
		return (*Fake).deleteWebhook, "deleteWebhook"
	case "getwebhookinfo":
		return (*Fake).getWebhookInfo, "getWebhookInfo"
	case "setmycommands":
		return (*Fake).setMyCommands, "setMyCommands"
	case "setchatmenubutton":
		return (*Fake).setChatMenuButton, "setChatMenuButton"
	case "sendmessage":
		return (*Fake).sendMessage, "sendMessage"
	case "sendphoto":
		return (*Fake).sendPhoto, "sendPhoto"
	case "copymessage":
		return (*Fake).copyMessage, "copyMessage"
	case "answercallbackquery":
		return (*Fake).answerCallbackQuery, "answerCallbackQuery"
	case "createinvoicelink":
		return (*Fake).createInvoiceLink, "createInvoiceLink"
	case "sendinvoice":
		return (*Fake).sendInvoice, "sendInvoice"
	case "answerprecheckoutquery":
		return (*Fake).answerPreCheckoutQuery, "answerPreCheckoutQuery"
	case "refundstarpayment":
		return (*Fake).refundStarPayment, "refundStarPayment"
	case "getstartransactions":
		return (*Fake).getStarTransactions, "getStarTransactions"
	case "edituserstarsubscription":
		return (*Fake).editUserStarSubscription, "editUserStarSubscription"
	case "getmystarbalance":
		return (*Fake).getMyStarBalance, "getMyStarBalance"
	}
	return nil, ""
}
