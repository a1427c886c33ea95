package api

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/starsesim/esimstore/telegram"
)

const (
	ctxUser  = "tg_user"
	ctxAdmin = "admin_name"
)

// requireInitData accepts `Authorization: tma <initData>` signed for our bot
// and recent enough; the verified user is the buyer for the whole request.
func (s *Server) requireInitData(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		raw, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "tma ")
		if !ok || raw == "" {
			return fail(c, http.StatusUnauthorized, "unauthorized", "Open the store from Telegram to sign in.")
		}
		data, err := telegram.ValidateInitData(raw, s.BotToken, s.InitDataMaxAge, s.now())
		if err != nil {
			msg := "The sign-in data from Telegram is not valid. Reopen the store from Telegram."
			if errors.Is(err, telegram.ErrExpired) {
				msg = "Your session has expired. Close and reopen the store from Telegram."
			}
			return fail(c, http.StatusUnauthorized, "invalid_init_data", msg)
		}
		if data.User.ID == 0 {
			return fail(c, http.StatusUnauthorized, "invalid_init_data", "Telegram did not say who you are. Reopen the store from Telegram.")
		}
		c.Set(ctxUser, data.User)
		return next(c)
	}
}

func buyerOf(c echo.Context) telegram.User { return c.Get(ctxUser).(telegram.User) }

// requireAdmin accepts `Authorization: Bearer <token>` for any configured
// support token, compared in constant time; the token's name is recorded
// with every action.
func (s *Server) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
		if ok && token != "" {
			name := ""
			for _, t := range s.AdminTokens {
				// Every token is compared, so timing does not reveal which matched.
				if subtle.ConstantTimeCompare([]byte(token), []byte(t.Token)) == 1 {
					name = t.Name
				}
			}
			if name != "" {
				c.Set(ctxAdmin, name)
				return next(c)
			}
		}
		return fail(c, http.StatusUnauthorized, "unauthorized", "A valid support token is required.")
	}
}
