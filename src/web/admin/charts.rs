//! The dashboard's pictures: server-rendered SVG charts drawn with `plotters` (its SVG backend,
//! no font library: text is left to the browser). They are drawn in sentinel colours that are
//! then swapped for `currentColor` and CSS classes, so the page's stylesheet colours them and
//! they read in light and dark mode alike (`prefers-color-scheme` in `admin.css`).

use plotters::prelude::*;

/// Axis, label and text colour: becomes `currentColor`.
const INK: RGBColor = RGBColor(1, 2, 3);
/// Grid lines: become `currentColor` at low opacity (the `grid` class).
const GRID: RGBColor = RGBColor(1, 2, 4);
/// The data: becomes the `series` class (the accent colour).
const SERIES: RGBColor = RGBColor(1, 2, 5);

/// Drawn at about the size they are shown (half the page's width), so the text stays legible.
const SIZE: (u32, u32) = (520, 250);

/// What a chart shows: a label under each point and its value.
#[derive(Debug, Clone)]
pub struct Series {
    /// The x labels (weeks, days).
    pub labels: Vec<String>,
    /// One value per label.
    pub values: Vec<f64>,
}

/// Bars (stories per week), or a line with the area below it (rates, counts over time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One bar per label.
    Bars,
    /// A line through the points, filled below.
    Area,
}

/// How the y axis reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Whole numbers from 0.
    Count,
    /// 0 to 100 %.
    Percent,
}

/// Draws `series` as an SVG document (without the XML prolog, ready to inline in HTML) with
/// `title` as its accessible name.
pub fn draw(title: &str, series: &Series, kind: Kind, scale: Scale) -> String {
    let mut svg = String::new();
    if let Err(e) = plot(&mut svg, series, kind, scale) {
        tracing::warn!("cannot draw the chart {title}: {e}");
        return String::new();
    }
    recolour(&svg, title)
}

fn plot(out: &mut String, series: &Series, kind: Kind, scale: Scale) -> Result<(), String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let n = series.values.len().max(1);
    let top = match scale {
        Scale::Percent => 100.0,
        Scale::Count => {
            let max = series.values.iter().copied().fold(0.0_f64, f64::max);
            (max * 1.15).ceil().max(4.0)
        }
    };
    let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(44)
        .build_cartesian_2d((0..n - 1).into_segmented(), 0.0..top)
        .map_err(|x| e(&x))?;
    let labels = series.labels.clone();
    let every = n.div_ceil(8).max(1);
    let x_label = move |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(i) if i % every == 0 => labels.get(*i).cloned().unwrap_or_default(),
        _ => String::new(),
    };
    let y_label = move |v: &f64| match scale {
        Scale::Percent => format!("{v:.0}%"),
        Scale::Count => format!("{v:.0}"),
    };
    let text = ("sans-serif", 15).into_font().color(&INK);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .axis_style(INK)
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .x_labels(n)
        .y_labels(5)
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .label_style(text)
        .draw()
        .map_err(|x| e(&x))?;
    match kind {
        Kind::Bars => {
            chart
                .draw_series(
                    Histogram::vertical(&chart)
                        .style(SERIES.filled())
                        .margin(6)
                        .data(series.values.iter().enumerate().map(|(i, v)| (i, *v))),
                )
                .map_err(|x| e(&x))?;
        }
        Kind::Area => {
            let points: Vec<(SegmentValue<usize>, f64)> = series
                .values
                .iter()
                .enumerate()
                .map(|(i, v)| (SegmentValue::CenterOf(i), *v))
                .collect();
            chart
                .draw_series(AreaSeries::new(points.clone(), 0.0, SERIES.mix(0.2)))
                .map_err(|x| e(&x))?;
            chart
                .draw_series(LineSeries::new(points.clone(), SERIES.stroke_width(3)))
                .map_err(|x| e(&x))?;
            chart
                .draw_series(
                    points
                        .into_iter()
                        .map(|p| Circle::new(p, 4, SERIES.filled())),
                )
                .map_err(|x| e(&x))?;
        }
    }
    root.present().map_err(|x| e(&x))?;
    Ok(())
}

/// Swaps the sentinel colours for `currentColor` and classes, names the picture, and drops the
/// XML prolog (the SVG is inlined in HTML).
fn recolour(svg: &str, title: &str) -> String {
    let body = svg
        .replace("fill=\"#010203\"", "fill=\"currentColor\"")
        .replace("stroke=\"#010203\"", "stroke=\"currentColor\"")
        .replace(
            "stroke=\"#010204\"",
            "class=\"grid\" stroke=\"currentColor\"",
        )
        .replace("fill=\"#010205\"", "class=\"series\" fill=\"currentColor\"")
        .replace(
            "stroke=\"#010205\"",
            "class=\"series\" stroke=\"currentColor\"",
        );
    let body = body
        .find("<svg")
        .map_or(body.as_str(), |at| &body[at..])
        .to_string();
    let title = crate::digest::render::escape_markup(title);
    body.replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-label=\"{title}\" class=\"chart\" "),
        1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weeks(values: &[f64]) -> Series {
        Series {
            labels: (40..40 + values.len()).map(|w| format!("W{w}")).collect(),
            values: values.to_vec(),
        }
    }

    #[test]
    fn charts_use_the_pages_colours_and_no_sentinel_is_left() {
        for kind in [Kind::Bars, Kind::Area] {
            let svg = draw(
                "Stories per week",
                &weeks(&[3.0, 0.0, 7.0, 5.0]),
                kind,
                Scale::Count,
            );
            assert!(svg.starts_with("<svg role=\"img\" aria-label=\"Stories per week\""));
            assert!(!svg.contains("#0102"), "a sentinel colour is left: {svg}");
            assert!(svg.contains("class=\"series\""));
            assert!(svg.contains("currentColor"));
            assert!(
                !svg.contains("style="),
                "no inline style (the CSP forbids it)"
            );
            assert!(
                svg.contains(">\nW40\n<") && svg.contains(">\nW43\n<"),
                "labels: {svg}"
            );
        }
    }

    #[test]
    fn percent_charts_read_in_percent() {
        let svg = draw(
            "Fetch success",
            &weeks(&[100.0, 50.0]),
            Kind::Area,
            Scale::Percent,
        );
        assert!(
            svg.contains(">\n100%\n<") && svg.contains(">\n0%\n<"),
            "{svg}"
        );
    }
}
