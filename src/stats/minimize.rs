//! Derivative-free minimisation (Nelder & Mead 1965, with the standard coefficients: reflect 1,
//! expand 2, contract 1/2, shrink 1/2). The calibration loss is a sum over simulated runs, not
//! smooth in its parameters, so a simplex method suits it better than gradients.

/// The best point found and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    pub point: Vec<f64>,
    pub value: f64,
    pub evaluations: usize,
}

/// Minimises `f` from `start`, with initial steps `step` per coordinate, for at most
/// `max_evaluations` calls, stopping early when the simplex's values agree within `tolerance`.
pub fn minimize(
    mut f: impl FnMut(&[f64]) -> f64,
    start: &[f64],
    step: &[f64],
    max_evaluations: usize,
    tolerance: f64,
) -> Minimum {
    let n = start.len();
    let evaluations = std::cell::Cell::new(0);
    let mut eval = |x: &[f64]| {
        evaluations.set(evaluations.get() + 1);
        let value = f(x);
        if value.is_nan() {
            f64::INFINITY
        } else {
            value
        }
    };
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n + 1);
    simplex.push((start.to_vec(), eval(start)));
    for i in 0..n {
        let mut point = start.to_vec();
        point[i] += step[i];
        let value = eval(&point);
        simplex.push((point, value));
    }
    let combine =
        |a: &[f64], b: &[f64], t: f64| -> Vec<f64> { a.iter().zip(b).map(|(a, b)| a + t * (b - a)).collect() };
    while evaluations.get() < max_evaluations {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        if (simplex[n].1 - simplex[0].1).abs() <= tolerance {
            break;
        }
        let centroid: Vec<f64> = (0..n)
            .map(|i| simplex[..n].iter().map(|(p, _)| p[i]).sum::<f64>() / n as f64)
            .collect();
        let worst = simplex[n].clone();
        let reflected = combine(&centroid, &worst.0, -1.0);
        let reflected_value = eval(&reflected);
        if reflected_value < simplex[0].1 {
            let expanded = combine(&centroid, &worst.0, -2.0);
            let expanded_value = eval(&expanded);
            simplex[n] = if expanded_value < reflected_value {
                (expanded, expanded_value)
            } else {
                (reflected, reflected_value)
            };
        } else if reflected_value < simplex[n - 1].1 {
            simplex[n] = (reflected, reflected_value);
        } else {
            let contracted = if reflected_value < worst.1 {
                combine(&centroid, &reflected, 0.5)
            } else {
                combine(&centroid, &worst.0, 0.5)
            };
            let contracted_value = eval(&contracted);
            if contracted_value < worst.1.min(reflected_value) {
                simplex[n] = (contracted, contracted_value);
            } else {
                let best = simplex[0].0.clone();
                for vertex in simplex.iter_mut().skip(1) {
                    let point = combine(&best, &vertex.0, 0.5);
                    let value = eval(&point);
                    *vertex = (point, value);
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (point, value) = simplex.swap_remove(0);
    Minimum {
        point,
        value,
        evaluations: evaluations.get(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_the_rosenbrock_valley() {
        let rosenbrock = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let minimum = minimize(rosenbrock, &[-1.2, 1.0], &[0.5, 0.5], 5000, 1e-14);
        assert!((minimum.point[0] - 1.0).abs() < 1e-3, "{:?}", minimum.point);
        assert!((minimum.point[1] - 1.0).abs() < 1e-3, "{:?}", minimum.point);
    }

    #[test]
    fn nan_is_treated_as_worse_than_anything() {
        let f = |x: &[f64]| if x[0] < 0.0 { f64::NAN } else { (x[0] - 2.0).powi(2) };
        let minimum = minimize(f, &[1.0], &[1.0], 500, 1e-12);
        assert!((minimum.point[0] - 2.0).abs() < 1e-3);
    }
}
