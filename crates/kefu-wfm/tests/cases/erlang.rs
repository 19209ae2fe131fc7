//! Invariants of Erlang B/C and the Erlang C staffing search.

use kefu_wfm::{
    ErlangAInput, ErlangCInput, erlang_a, erlang_b, erlang_c, staff_erlang_a, staff_erlang_c,
};
use proptest::prelude::*;

proptest! {
    #[test]
    fn erlang_b_is_a_probability_falling_in_lines(a in 0.01f64..500.0, n in 0u32..600) {
        let b = erlang_b(a, n).unwrap();
        let next = erlang_b(a, n + 1).unwrap();
        prop_assert!((0.0..=1.0).contains(&b));
        prop_assert!(next <= b);
    }

    #[test]
    fn erlang_c_service_level_rises_with_agents(
        a in 0.1f64..200.0, extra in 1u32..40, aht in 10.0f64..900.0, t in 0.0f64..120.0,
    ) {
        let n = a.floor() as u32 + extra;
        let m = erlang_c(a, n, aht, t).unwrap().metrics().unwrap();
        let m1 = erlang_c(a, n + 1, aht, t).unwrap().metrics().unwrap();
        for v in [m.service_level, m.waiting_probability, m.occupancy] {
            prop_assert!((0.0..=1.0).contains(&v));
        }
        prop_assert!(m1.service_level >= m.service_level - 1e-12);
        prop_assert!(m1.asa_secs <= m.asa_secs + 1e-9);
        prop_assert!(m.asa_secs.is_finite() && m.asa_secs >= 0.0);
    }

    #[test]
    fn no_agents_beyond_traffic_means_unbounded_never_nan(a in 1.0f64..300.0, aht in 1.0f64..900.0) {
        let n = a.floor() as u32;
        prop_assert!(erlang_c(a, n, aht, 20.0).unwrap().metrics().is_none());
    }

    #[test]
    fn staffing_is_minimal(
        calls in 1.0f64..3000.0, aht in 30.0f64..900.0, t in 0.0f64..90.0,
        sl in 0.5f64..0.99, occ in proptest::option::of(0.5f64..=1.0),
        shrink in proptest::option::of(0.0f64..0.6),
    ) {
        let input = ErlangCInput {
            calls, interval_secs: 1800.0, aht_secs: aht, target_secs: t,
            service_level: sl, max_occupancy: occ, shrinkage: shrink,
        };
        let s = staff_erlang_c(&input).unwrap();
        let a = calls * aht / 1800.0;
        prop_assert!(s.service_level >= sl);
        prop_assert!(s.occupancy <= occ.unwrap_or(1.0));
        prop_assert!(s.scheduled_agents >= s.agents);
        // One agent fewer must break the service level, the occupancy cap or stability.
        let fewer = erlang_c(a, s.agents - 1, aht, t).unwrap();
        if let Some(m) = fewer.metrics() {
            prop_assert!(m.service_level < sl || m.occupancy > occ.unwrap_or(1.0));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn erlang_a_tends_to_erlang_c_with_patience(
        a in 0.5f64..80.0, extra in 1u32..10, aht in 30.0f64..600.0, t in 0.0f64..60.0,
    ) {
        // Near ρ = 1 the queue feels even very rare abandonment (the gap grows like the wait
        // over the patience), hence the extreme patience and ρ below 0.999.
        let n = a.floor() as u32 + extra;
        prop_assume!(a / f64::from(n) < 0.999);
        let c = erlang_c(a, n, aht, t).unwrap().metrics().unwrap();
        let m = erlang_a(a, n, aht, aht * 1e12, t).unwrap();
        prop_assert!((m.service_level - c.service_level).abs() < 1e-4, "{:?} vs {:?}", m, c);
        prop_assert!((m.waiting_probability - c.waiting_probability).abs() < 1e-4);
        prop_assert!((m.asa_secs - c.asa_secs).abs() < 1e-4 * c.asa_secs.max(1.0));
    }

    #[test]
    fn erlang_a_serves_at_least_as_well_as_c(
        a in 0.5f64..80.0, extra in 1u32..10, aht in 30.0f64..600.0,
        patience in 5.0f64..2000.0, t in 0.0f64..60.0,
    ) {
        let n = a.floor() as u32 + extra;
        let c = erlang_c(a, n, aht, t).unwrap().metrics().unwrap();
        let m = erlang_a(a, n, aht, patience, t).unwrap();
        prop_assert!(m.service_level >= c.service_level - 1e-9);
        prop_assert!(m.waiting_probability <= c.waiting_probability + 1e-9);
        for p in [m.service_level, m.waiting_probability, m.abandon_probability, m.occupancy] {
            prop_assert!((0.0..=1.0).contains(&p));
        }
    }

    #[test]
    fn erlang_a_staffing_is_minimal_and_below_c(
        calls in 5.0f64..1500.0, aht in 30.0f64..600.0, t in 0.0f64..60.0,
        sl in 0.5f64..0.95, patience in 10.0f64..1200.0,
    ) {
        let c = staff_erlang_c(&ErlangCInput {
            calls, interval_secs: 1800.0, aht_secs: aht, target_secs: t,
            service_level: sl, max_occupancy: None, shrinkage: None,
        }).unwrap();
        let s = staff_erlang_a(&ErlangAInput {
            calls, interval_secs: 1800.0, aht_secs: aht, target_secs: t,
            service_level: sl, patience_secs: patience, max_occupancy: None, shrinkage: None,
        }).unwrap();
        prop_assert!(s.agents <= c.agents);
        prop_assert!(s.service_level >= sl);
        if s.agents > 1 {
            let fewer = erlang_a(calls * aht / 1800.0, s.agents - 1, aht, patience, t).unwrap();
            prop_assert!(fewer.service_level < sl);
        }
    }
}

/// Found by the property below: at ρ = 0.9958 the mean wait is two hours, so even a patience
/// of 3·10¹⁰ s moves the ASA by 1.2·10⁻⁴ of itself. That is the model, not an error: the gap
/// shrinks in proportion to 1 / patience.
#[test]
fn erlang_a_converges_to_c_near_full_load_as_patience_grows() {
    let (a, n, aht, t) = (0.9958337205322674, 1u32, 30.0, 0.0);
    let c = erlang_c(a, n, aht, t).unwrap().metrics().unwrap();
    let gap = |factor: f64| {
        let m = erlang_a(a, n, aht, aht * factor, t).unwrap();
        (m.asa_secs - c.asa_secs).abs() / c.asa_secs
    };
    let (near, nearer) = (gap(1e9), gap(1e12));
    assert!(near > 1e-5 && near < 1e-3, "{near}");
    assert!(nearer < 1e-6, "{nearer}");
    assert!(
        (near / nearer - 1e3).abs() < 50.0,
        "gap ∝ 1/patience: {near} {nearer}"
    );
}
