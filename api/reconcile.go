package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/starsesim/esimstore/store"
)

// reconciliationReport is GET /admin/reconciliation: what the reconciler
// found, open findings first in the operator's mind (open_count).
type reconciliationReport struct {
	OpenCount int             `json:"open_count"`
	Findings  []store.Finding `json:"findings"`
}

// adminReconciliation lists reconciliation findings; ?open=true leaves out
// the resolved ones (recovered payments, recorded refunds).
func (s *Server) adminReconciliation(c echo.Context) error {
	openOnly := false
	if v := c.QueryParam("open"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fail(c, http.StatusUnprocessableEntity, "invalid_open", "open must be true or false.")
		}
		openOnly = b
	}
	list, err := s.Store.Findings(c.Request().Context(), openOnly, 500)
	if err != nil {
		return err
	}
	rep := reconciliationReport{Findings: list}
	if rep.Findings == nil {
		rep.Findings = []store.Finding{}
	}
	for _, f := range list {
		if f.ResolvedAt == nil {
			rep.OpenCount++
		}
	}
	return c.JSON(http.StatusOK, rep)
}
