package sim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/starsesim/esimstore/telegram/telegramtest"
)

type chatButton struct {
	Text         string `json:"text"`
	URL          string `json:"url,omitempty"`
	WebAppURL    string `json:"web_app_url,omitempty"`
	CallbackData string `json:"callback_data,omitempty"`
}

type chatPerson struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type chatInvoice struct {
	Title  string `json:"title"`
	Amount int64  `json:"amount"`
}

type chatItem struct {
	ID          int64        `json:"id"`
	At          time.Time    `json:"at"`
	FromBot     bool         `json:"from_bot"`
	From        *chatPerson  `json:"from,omitempty"`
	ReplyTo     int64        `json:"reply_to,omitempty"`
	Copied      bool         `json:"copied,omitempty"` // a copy (copyMessage) of another chat's message
	Kind        string       `json:"kind"`
	Text        string       `json:"text"`
	ParseMode   string       `json:"parse_mode,omitempty"`
	Buttons     []chatButton `json:"buttons,omitempty"`
	PhotoURL    string       `json:"photo_url,omitempty"`
	InvoiceLink string       `json:"invoice_link,omitempty"`
	Invoice     *chatInvoice `json:"invoice,omitempty"`
	ChargeID    string       `json:"charge_id,omitempty"`
	Amount      int64        `json:"amount,omitempty"`
	// OrderID links payments and refunds to the order (and its workflow in
	// the Temporal UI): the invoice payload is the order id (docs/architecture.md#telegram-behaviour).
	OrderID string `json:"order_id,omitempty"`
}

func (s *server) chat(c echo.Context) error {
	param := c.QueryParam("chat_id")
	if param == "" {
		param = c.QueryParam("user_id") // a private chat's id is the user's
	}
	chatID, err := strconv.ParseInt(param, 10, 64)
	if err != nil {
		return apiError(c, http.StatusBadRequest, "bad_request", "user_id or chat_id must be a number")
	}
	raw := s.d.Telegram.Chat(chatID)
	orderByCharge := map[string]string{}
	items := make([]chatItem, 0, len(raw))
	for _, it := range raw {
		item := chatItem{
			ID: it.MessageID, At: it.At, FromBot: it.FromBot, Kind: it.Kind, Text: it.Text, ParseMode: it.ParseMode,
			InvoiceLink: it.InvoiceLink, ChargeID: it.ChargeID, Amount: it.Amount, ReplyTo: it.ReplyTo, Copied: it.CopyOf != nil,
		}
		if it.From != nil {
			item.From = &chatPerson{ID: it.From.ID, Name: strings.TrimSpace(it.From.FirstName + " " + it.From.LastName)}
		}
		for _, b := range it.Buttons {
			item.Buttons = append(item.Buttons, chatButton{Text: b.Text, URL: b.URL, WebAppURL: b.WebAppURL, CallbackData: b.CallbackData})
		}
		if len(it.Photo) > 0 {
			item.PhotoURL = fmt.Sprintf("/sim/api/chat/photo/%d/%d", chatID, it.MessageID)
		}
		if it.Invoice != nil {
			item.Invoice = &chatInvoice{Title: it.Invoice.Title, Amount: it.Invoice.Amount}
			item.OrderID = it.Invoice.Payload
		}
		switch it.Kind {
		case telegramtest.KindPayment:
			item.OrderID = it.Text // the fake records the invoice payload as the text
			orderByCharge[it.ChargeID] = it.Text
		case telegramtest.KindRefund:
			item.OrderID = orderByCharge[it.ChargeID]
		}
		items = append(items, item)
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}

func (s *server) photo(c echo.Context) error {
	userID, err1 := strconv.ParseInt(c.Param("user"), 10, 64)
	msgID, err2 := strconv.ParseInt(c.Param("message"), 10, 64)
	if err1 != nil || err2 != nil {
		return apiError(c, http.StatusBadRequest, "bad_request", "user and message must be numbers")
	}
	for _, it := range s.d.Telegram.Chat(userID) {
		if it.MessageID == msgID && len(it.Photo) > 0 {
			// Photos never change once sent.
			c.Response().Header().Set("Cache-Control", "private, max-age=3600, immutable")
			return c.Blob(http.StatusOK, http.DetectContentType(it.Photo), it.Photo)
		}
	}
	return apiError(c, http.StatusNotFound, "not_found", "no photo with that message id in this chat")
}
