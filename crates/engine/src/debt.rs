//! Debt risk: each reported period's debt ratio (债务率 = debt balance /
//! comprehensive financial resources) and debt-service ratio (偿债率 =
//! debt service due / comprehensive financial resources), both in percent,
//! their band, and the periods of the bond calendar projected from the
//! last reported one:
//!
//! - balanceₜ = balanceₜ₋₁ + issuanceₜ − repaymentₜ (never below 0);
//! - resourcesₜ = the plan's expected resources, else the last known;
//! - debt serviceₜ = the plan's debt service due, else its repayment.
//!
//! Plans for periods up to the last reported one are ignored (the report
//! supersedes the plan). A band crossing is any change of band between a
//! jurisdiction's consecutive rows; one to a higher band is `rising`.

use deltabench_model::JurisdictionCode;
use deltabench_model::debt::{
    BandCrossing, DebtActual, DebtBands, DebtPlan, DebtRisk, DebtRiskRow,
};
use std::collections::BTreeMap;

/// The risk rows and crossings of `actuals` and `plans` under `bands`.
pub fn risk(actuals: &[DebtActual], plans: &[DebtPlan], bands: &DebtBands) -> DebtRisk {
    let mut by: BTreeMap<&JurisdictionCode, (Vec<&DebtActual>, Vec<&DebtPlan>)> = BTreeMap::new();
    for a in actuals {
        by.entry(&a.jurisdiction).or_default().0.push(a);
    }
    for p in plans {
        by.entry(&p.jurisdiction).or_default().1.push(p);
    }
    let percent = |num: f64, den: f64| 100.0 * num / den;
    let mut rows = Vec::new();
    let mut crossings = Vec::new();
    for (j, (mut reported, mut planned)) in by {
        reported.sort_by_key(|a| a.period);
        planned.sort_by_key(|p| p.period);
        let mut mine: Vec<DebtRiskRow> = reported
            .iter()
            .map(|a| {
                let r = a.comprehensive_resources.get();
                let ratio = percent(a.debt_balance.get(), r);
                DebtRiskRow {
                    jurisdiction: j.clone(),
                    period: a.period,
                    debt_ratio: ratio,
                    debt_service_ratio: percent(a.debt_service_due.get(), r),
                    band: bands.band(ratio),
                    projected: false,
                    debt_balance: a.debt_balance.get(),
                    comprehensive_resources: r,
                }
            })
            .collect();
        // Projection needs a reported starting point.
        if let Some(last) = reported.last() {
            let mut balance = last.debt_balance.get();
            let mut resources = last.comprehensive_resources.get();
            for p in planned.iter().filter(|p| p.period > last.period) {
                balance = (balance + p.issuance.get() - p.repayment.get()).max(0.0);
                if let Some(r) = p.comprehensive_resources {
                    resources = r.get();
                }
                let service = p.debt_service_due.unwrap_or(p.repayment).get();
                let ratio = percent(balance, resources);
                mine.push(DebtRiskRow {
                    jurisdiction: j.clone(),
                    period: p.period,
                    debt_ratio: ratio,
                    debt_service_ratio: percent(service, resources),
                    band: bands.band(ratio),
                    projected: true,
                    debt_balance: balance,
                    comprehensive_resources: resources,
                });
            }
        }
        for pair in mine.windows(2) {
            if pair[0].band != pair[1].band {
                crossings.push(BandCrossing {
                    jurisdiction: j.clone(),
                    period: pair[1].period,
                    from: pair[0].band,
                    to: pair[1].band,
                    projected: pair[1].projected,
                    rising: pair[1].band > pair[0].band,
                });
            }
        }
        rows.extend(mine);
    }
    DebtRisk {
        rows,
        crossings,
        bands: bands.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use deltabench_model::debt::RiskBand;
    use deltabench_model::{Period, Value};

    fn v(x: f64) -> Value {
        Value::new(x).unwrap()
    }

    fn actual(j: &str, p: &str, balance: f64, resources: f64, service: f64) -> DebtActual {
        DebtActual {
            jurisdiction: JurisdictionCode::new(j).unwrap(),
            period: Period::parse(p).unwrap(),
            debt_balance: v(balance),
            comprehensive_resources: v(resources),
            debt_service_due: v(service),
        }
    }

    fn plan(j: &str, p: &str, issuance: f64, repayment: f64) -> DebtPlan {
        DebtPlan {
            jurisdiction: JurisdictionCode::new(j).unwrap(),
            period: Period::parse(p).unwrap(),
            issuance: v(issuance),
            repayment: v(repayment),
            debt_service_due: None,
            comprehensive_resources: None,
        }
    }

    #[test]
    fn band_edges_belong_to_the_higher_band() {
        let b = DebtBands::default();
        assert_eq!(b.band(0.0), RiskBand::Green);
        assert_eq!(b.band(119.999), RiskBand::Green);
        assert_eq!(b.band(120.0), RiskBand::Yellow);
        assert_eq!(b.band(199.999), RiskBand::Yellow);
        assert_eq!(b.band(200.0), RiskBand::Orange);
        assert_eq!(b.band(299.999), RiskBand::Orange);
        assert_eq!(b.band(300.0), RiskBand::Red);
        assert_eq!(b.band(1e6), RiskBand::Red);
        // Configured thresholds, not constants.
        let strict = DebtBands {
            yellow: 100.0,
            orange: 150.0,
            red: 200.0,
            source: "a province's stricter lines".into(),
        };
        assert_eq!(strict.band(150.0), RiskBand::Orange);
        assert!(strict.validate().is_ok());
        let wrong = DebtBands {
            yellow: 200.0,
            ..strict.clone()
        };
        assert_eq!(wrong.validate().unwrap_err().field, "red");
        let unnamed = DebtBands {
            source: " ".into(),
            ..strict
        };
        assert_eq!(unnamed.validate().unwrap_err().field, "source");
    }

    #[test]
    fn ratios_and_a_projected_crossing_as_computed_by_hand() {
        // 2024: 230 / 200 = 115% (green), service 20 / 200 = 10%.
        // 2025: 250 / 200 = 125% (yellow), service 30 / 200 = 15%.
        // 2026 planned: 250 + 60 − 10 = 300 over 200 (the last known
        // resources) = 150% (yellow), service = the repayment 10 → 5%.
        // 2027 planned: 300 + 150 − 20 = 430 over 210 (expected) = 204.76%
        // (orange): a projected rising crossing.
        let actuals = [
            actual("320585", "2025", 250.0, 200.0, 30.0),
            actual("320585", "2024", 230.0, 200.0, 20.0),
        ];
        let mut p2027 = plan("320585", "2027", 150.0, 20.0);
        p2027.comprehensive_resources = Some(v(210.0));
        let plans = [
            plan("320585", "2025", 999.0, 0.0), // superseded by the report
            plan("320585", "2026", 60.0, 10.0),
            p2027,
        ];
        let r = risk(&actuals, &plans, &DebtBands::default());
        let got: Vec<(String, f64, f64, RiskBand, bool)> = r
            .rows
            .iter()
            .map(|x| {
                (
                    x.period.to_string(),
                    (x.debt_ratio * 100.0).round() / 100.0,
                    x.debt_service_ratio,
                    x.band,
                    x.projected,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("2024".into(), 115.0, 10.0, RiskBand::Green, false),
                ("2025".into(), 125.0, 15.0, RiskBand::Yellow, false),
                ("2026".into(), 150.0, 5.0, RiskBand::Yellow, true),
                (
                    "2027".into(),
                    204.76,
                    100.0 * 20.0 / 210.0,
                    RiskBand::Orange,
                    true
                ),
            ]
        );
        let c: Vec<(String, RiskBand, RiskBand, bool, bool)> = r
            .crossings
            .iter()
            .map(|c| (c.period.to_string(), c.from, c.to, c.projected, c.rising))
            .collect();
        assert_eq!(
            c,
            [
                (
                    "2025".into(),
                    RiskBand::Green,
                    RiskBand::Yellow,
                    false,
                    true
                ),
                (
                    "2027".into(),
                    RiskBand::Yellow,
                    RiskBand::Orange,
                    true,
                    true
                ),
            ]
        );
    }

    #[test]
    fn repayments_lower_the_balance_but_never_below_zero_and_plans_alone_project_nothing() {
        let r = risk(
            &[actual("320583", "2025", 50.0, 100.0, 5.0)],
            &[
                plan("320583", "2026", 0.0, 80.0),
                plan("320585", "2026", 10.0, 0.0),
            ],
            &DebtBands::default(),
        );
        assert_eq!(r.rows.len(), 2, "Taicang has a plan but no report");
        assert_eq!(r.rows[1].debt_balance, 0.0);
        assert_eq!(r.rows[1].band, RiskBand::Green);
        assert!(r.crossings.is_empty());
    }
}
