package i18n

var russian = map[Key]string{
	InvoiceTitle:       "eSIM %s",
	InvoiceDescription: "%s. QR-код eSIM придёт в этот чат сразу после оплаты.",
	DeliveryCaption: "<b>Ваша eSIM готова: %s</b>\n\n" +
		"Отсканируйте QR-код в Настройках → Сотовая связь → Добавить eSIM.\n\n" +
		"Ручная установка:\nАдрес SM-DP+: <code>%s</code>\nКод активации: <code>%s</code>\n\n" +
		"<a href=\"%s\">Установить на iPhone одним касанием</a>\n<a href=\"%s\">Установить на Android одним касанием</a>",
	RefundNotice:        "Мы вернули %d ⭐ за заказ %s. Причина: %s",
	RefundReasonESIM:    "не удалось выпустить eSIM",
	RefundReasonDup:     "этот заказ уже был оплачен",
	RefundReasonLate:    "срок заказа истёк до поступления оплаты",
	RefundReasonAmount:  "сумма не совпала с ценой",
	RefundReasonSupport: "возврат по решению поддержки: %s",
	RefundReasonUnknown: "заказ не найден",
	CheckoutNotOwner:    "Этот счёт выставлен другому аккаунту Telegram.",
	CheckoutNotAwaiting: "Этот заказ больше не ожидает оплаты.",
	CheckoutExpired:     "Срок действия цены истёк. Оформите заказ заново.",
	CheckoutWrongAmount: "Цена изменилась. Оформите заказ заново.",
	CheckoutUnknown:     "Заказ не найден. Оформите заказ заново.",
	CheckoutBusy:        "Не удалось подтвердить заказ. Попробуйте ещё раз через минуту.",
	Start:               "Мобильный интернет в 190+ странах за Telegram Stars. Выберите тариф в магазине — QR-код eSIM придёт сюда за секунды.",
	OpenStore:           "Открыть магазин eSIM",
	OrdersEmpty:         "У вас пока нет заказов.",
	OrdersHeader:        "Ваши заказы:",
	PaySupport: "Оплата и возвраты: если eSIM не удалось выпустить, звёзды возвращаются автоматически. " +
		"По другим вопросам напишите нам сюда, указав номер заказа, — ответим в течение 24 часов. " +
		"Возврат делается в Telegram Stars на аккаунт, с которого была оплата.",
	Terms: "Условия: тарифы eSIM — цифровой товар, который выдаётся в виде QR-кода. Тариф начинает действовать при подключении eSIM к сети в стране покрытия. " +
		"Неиспользованный тариф можно вернуть через /paysupport. Цены указаны в Telegram Stars.",
	Help:         "/start — открыть магазин\n/orders — ваши заказы\n/cancel — отменить ежемесячную подписку\n/paysupport — оплата и возвраты\n/terms — условия продажи\n/help — эта справка",
	PlanNotFound: "Этот тариф больше не продаётся. Откройте магазин и выберите другой.",

	// Бот и подписки (ключи в keys_bot.go).
	CmdStartDesc:      "Открыть магазин eSIM",
	CmdOrdersDesc:     "Ваши заказы",
	CmdPaySupportDesc: "Оплата и возвраты",
	CmdTermsDesc:      "Условия продажи",
	CmdHelpDesc:       "Справка",
	CmdCancelDesc:     "Отменить ежемесячную подписку",
	OrdersLine:        "• %s — %s, %d ⭐ (<code>%s</code>)",
	UnknownInput:      "Не понял сообщение. Вот что я умею:\n\n/start — открыть магазин\n/orders — ваши заказы\n/help — все команды",

	SubscriptionInvoiceTitle:        "%s на месяц",
	SubscriptionInvoiceDescription:  "%s, продление каждые 30 дней на той же eSIM. QR-код придёт в этот чат после первой оплаты; отменить можно в любой момент командой /cancel.",
	SubscriptionRenewed:             "Подписка %s продлена: тариф добавлен на вашу eSIM <code>%s</code>. Оплачено до %s. Ничего устанавливать не нужно.",
	RefundReasonTopUp:               "не удалось добавить тариф на вашу eSIM",
	RefundReasonSubscriptionStopped: "подписка была отменена",
	CancelNone:                      "У вас нет активных подписок.",
	CancelDone:                      "Подписка %s отменена. Продления не будет; текущий период остаётся за вами.",
	CancelChoose:                    "У вас несколько подписок. Отправьте /cancel с той, которую нужно остановить:",
	CancelLine:                      "<code>/cancel %s</code> — %s",
	CancelFailed:                    "Не удалось отменить подписку. Попробуйте ещё раз через минуту.",

	TooManyOpenOrders: "У вас слишком много неоплаченных заказов. Оплатите один из них или дождитесь, пока они истекут (неоплаченные заказы отменяются сами), и попробуйте снова.",
	RateLimited:       "Слишком много запросов за короткое время. Подождите немного и попробуйте снова.",
	HelpWithOrder:     "Помощь с этим заказом",

	"status_awaiting_payment": "ожидает оплаты",
	"status_paid":             "оплачен",
	"status_fulfilling":       "выпускается",
	"status_fulfilled":        "выдан",
	"status_refunding":        "возвращается",
	"status_refunded":         "возвращён",
	"status_expired":          "истёк",
}
