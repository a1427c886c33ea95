package sim

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/starsesim/esimstore/telegram"
	"github.com/starsesim/esimstore/telegram/telegramtest"
)

// Members of the support group. Zoë is in the sandbox's SUPPORT_STAFF_IDS;
// Max is in the group but not staff, to show that the bot ignores him.
var Members = []TestUser{
	{User: telegram.User{ID: 6_200_000_001, FirstName: "Zoë", LastName: "Support", Username: "zoe_support", LanguageCode: "en"}, Label: "Zoë (staff)"},
	{User: telegram.User{ID: 6_200_000_002, FirstName: "Max", Username: "max_visitor", LanguageCode: "en"}, Label: "Max (not staff)"},
}

type member struct {
	TestUser
	IsStaff bool `json:"is_staff"`
}

func (s *server) staff(c echo.Context) error {
	out := make([]member, 0, len(Members))
	for _, u := range Members {
		out = append(out, member{TestUser: u, IsStaff: s.isStaff(u.ID)})
	}
	return c.JSON(http.StatusOK, out)
}

func (s *server) isStaff(id int64) bool {
	for _, st := range s.d.Staff {
		if st == id {
			return true
		}
	}
	return false
}

// person finds a simulated account: a buyer or a member of the group.
func person(id int64) (telegram.User, bool) {
	if u, ok := userByID(id); ok {
		return u.User, true
	}
	for _, m := range Members {
		if m.ID == id {
			return m.User, true
		}
	}
	return telegram.User{}, false
}

type sendRequest struct {
	UserID  int64  `json:"user_id"`
	ChatID  int64  `json:"chat_id"`
	Text    string `json:"text"`
	Photo   bool   `json:"photo"`
	ReplyTo int64  `json:"reply_to"`
}

// send plays a person writing: a buyer to the bot, or a member of the
// support group (optionally as a reply). photo attaches a sample picture.
func (s *server) send(c echo.Context) error {
	var req sendRequest
	if err := c.Bind(&req); err != nil {
		return apiError(c, http.StatusUnprocessableEntity, "bad_request", `body must be {"user_id", "text", …}`)
	}
	u, ok := person(req.UserID)
	if !ok {
		return apiError(c, http.StatusNotFound, "unknown_user", "no such test user")
	}
	if req.ChatID != 0 && req.ChatID != s.d.SupportChatID {
		return apiError(c, http.StatusUnprocessableEntity, "bad_chat", "chat_id must be 0 (the bot) or the support chat")
	}
	if req.Text == "" && !req.Photo {
		return apiError(c, http.StatusUnprocessableEntity, "empty", "write something or attach the photo")
	}
	m := telegramtest.UserMessage{From: u, ChatID: req.ChatID, Text: req.Text, ReplyTo: req.ReplyTo}
	if req.Photo {
		m.Photo = samplePhoto()
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 30*time.Second)
	defer cancel()
	id, err := s.d.Telegram.Send(ctx, m)
	if err != nil {
		return apiError(c, http.StatusBadGateway, "not_delivered", err.Error())
	}
	return c.JSON(http.StatusOK, map[string]int64{"message_id": id})
}

type pressRequest struct {
	ChatID    int64  `json:"chat_id"`
	MessageID int64  `json:"message_id"`
	UserID    int64  `json:"user_id"`
	Text      string `json:"text"`
}

// press plays a person pressing an inline callback button.
func (s *server) press(c echo.Context) error {
	var req pressRequest
	if err := c.Bind(&req); err != nil {
		return apiError(c, http.StatusUnprocessableEntity, "bad_request", `body must be {"chat_id","message_id","user_id","text"}`)
	}
	u, ok := person(req.UserID)
	if !ok {
		return apiError(c, http.StatusNotFound, "unknown_user", "no such test user")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 30*time.Second)
	defer cancel()
	id, err := s.d.Telegram.PressButton(ctx, req.ChatID, req.MessageID, u, req.Text)
	if errors.Is(err, telegramtest.ErrNoSuchButton) {
		return apiError(c, http.StatusNotFound, "no_button", err.Error())
	}
	if err != nil {
		return apiError(c, http.StatusBadGateway, "not_delivered", err.Error())
	}
	answer, answered := s.d.Telegram.CallbackAnswered(id)
	return c.JSON(http.StatusOK, map[string]any{"query_id": id, "answered": answered,
		"answer": map[string]any{"text": answer.Text, "show_alert": answer.ShowAlert}})
}

var (
	sampleOnce sync.Once
	samplePNG  []byte
)

// samplePhoto is the picture a simulated person attaches: a phone screen
// with a "No service" bar, drawn once.
func samplePhoto() []byte {
	sampleOnce.Do(func() {
		img := image.NewRGBA(image.Rect(0, 0, 180, 320))
		for y := range 320 {
			for x := range 180 {
				c := color.RGBA{R: 30, G: 34, B: 42, A: 255}
				switch {
				case y < 24:
					c = color.RGBA{R: 229, G: 57, B: 53, A: 255} // the status bar: no service
				case x > 14 && x < 166 && y > 50 && y < 290 && (y/30)%2 == 0:
					c = color.RGBA{R: 60, G: 66, B: 80, A: 255}
				}
				img.Set(x, y, c)
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			panic(err) // an in-memory encode of a fixed image cannot fail
		}
		samplePNG = buf.Bytes()
	})
	return samplePNG
}
