package api

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/starsesim/esimstore/store"
)

type planJSON struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Description  string   `json:"description"`
	Countries    []string `json:"countries"`
	Region       string   `json:"region"`
	DataMB       int      `json:"data_mb"`
	DurationDays int      `json:"duration_days"`
	Unlimited    bool     `json:"unlimited"`
	PriceUSD     string   `json:"price_usd"`
	PriceStars   int64    `json:"price_stars"`
}

func planOut(p store.Plan) planJSON {
	countries := p.Countries
	if countries == nil {
		countries = []string{}
	}
	return planJSON{ID: p.ID, Name: p.Name, Description: p.Description, Countries: countries, Region: p.Region,
		DataMB: p.DataMB, DurationDays: p.DurationDays, Unlimited: p.Unlimited,
		PriceUSD: p.PriceUSD.StringFixed(2), PriceStars: p.PriceStars}
}

var iso2 = regexp.MustCompile(`^[A-Z]{2}$`)

// listPlans reads the synced plan table only; it never calls eSIM Go.
func (s *Server) listPlans(c echo.Context) error {
	country := strings.ToUpper(strings.TrimSpace(c.QueryParam("country")))
	if country != "" && !iso2.MatchString(country) {
		return fail(c, http.StatusUnprocessableEntity, "invalid_country", "country must be a two-letter ISO code such as GB.")
	}
	plans, err := s.Store.ListPlans(c.Request().Context(), country)
	if err != nil {
		return err
	}
	out := make([]planJSON, 0, len(plans))
	for _, p := range plans {
		out = append(out, planOut(p))
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=60")
	return c.JSON(http.StatusOK, out)
}
