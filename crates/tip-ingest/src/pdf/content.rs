//! A page's content stream read for its text: every string shown, with where it starts and
//! ends on the page, its size and whether its font is bold. Graphics operators other than the
//! transformation matrix are ignored; form XObjects are entered (to a bounded depth).

use std::collections::HashMap;
use std::rc::Rc;

use lopdf::content::Content;
use lopdf::{Dictionary, Document, Object, ObjectId};

use super::fonts::Font;

/// A string shown on a page, in default user space (y up).
#[derive(Clone, Debug)]
pub(super) struct Run {
    pub text: String,
    pub x0: f32,
    pub x1: f32,
    /// Baseline.
    pub y: f32,
    /// Height of the font on the page.
    pub size: f32,
    pub bold: bool,
}

type Matrix = [f32; 6];

const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `a × b` for the row-vector convention of PDF (`a` applied first).
fn multiply(a: &Matrix, b: &Matrix) -> Matrix {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

fn apply(m: &Matrix, x: f32, y: f32) -> (f32, f32) {
    (x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5])
}

#[derive(Clone)]
struct State {
    ctm: Matrix,
    font: Option<Rc<Font>>,
    size: f32,
    char_spacing: f32,
    word_spacing: f32,
    /// Horizontal scaling as a fraction.
    scaling: f32,
    leading: f32,
    rise: f32,
}

/// Fonts read once per document, by object number.
#[derive(Default)]
pub(super) struct FontCache {
    fonts: HashMap<ObjectId, Rc<Font>>,
}

/// Why a page's content could not be read.
pub(super) struct ContentError(pub String);

/// How deep form XObjects may nest.
const MAX_FORM_DEPTH: usize = 8;

pub(super) struct Interpreter<'d> {
    doc: &'d Document,
    fonts: &'d mut FontCache,
    pub runs: Vec<Run>,
    /// Whether the page draws an image (to tell a scan from an empty page).
    pub has_image: bool,
    /// Operations left to run on this page: forms that draw each other many times over would
    /// otherwise multiply the work without bound.
    budget: usize,
}

/// Operations a page may run, forms included (a real page has some thousands).
const MAX_OPERATIONS: usize = 1_000_000;

impl<'d> Interpreter<'d> {
    pub fn new(doc: &'d Document, fonts: &'d mut FontCache) -> Self {
        Interpreter { doc, fonts, runs: Vec::new(), has_image: false, budget: MAX_OPERATIONS }
    }

    /// Reads a content stream with its resources.
    pub fn run(
        &mut self,
        content: &[u8],
        resources: &[&Dictionary],
        ctm: Matrix,
        depth: usize,
    ) -> Result<(), ContentError> {
        let mut state = State {
            ctm,
            font: None,
            size: 0.0,
            char_spacing: 0.0,
            word_spacing: 0.0,
            scaling: 1.0,
            leading: 0.0,
            rise: 0.0,
        };
        let mut stack: Vec<State> = Vec::new();
        let mut tm = IDENTITY;
        let mut tlm = IDENTITY;
        for operation in Content::decode_iter(content) {
            let operation = operation.map_err(|e| ContentError(format!("the content stream is damaged: {e}")))?;
            self.budget = self.budget.checked_sub(1).ok_or_else(|| {
                ContentError(format!("the page draws more than {MAX_OPERATIONS} operations (forms drawing forms?)"))
            })?;
            let operands = &operation.operands;
            let num = |i: usize| operands.get(i).and_then(|o| o.as_float().ok()).unwrap_or(0.0);
            match operation.operator.as_str() {
                // Bounded: a stream of q without Q must not grow memory without end.
                "q" if stack.len() < 64 => stack.push(state.clone()),
                "Q" => {
                    if let Some(saved) = stack.pop() {
                        state = saved;
                    }
                }
                "cm" => state.ctm = multiply(&[num(0), num(1), num(2), num(3), num(4), num(5)], &state.ctm),
                "BT" => {
                    tm = IDENTITY;
                    tlm = IDENTITY;
                }
                "Tf" => {
                    state.size = num(1);
                    state.font = operands.first().and_then(|o| o.as_name().ok()).and_then(|n| self.font(resources, n));
                }
                "Tc" => state.char_spacing = num(0),
                "Tw" => state.word_spacing = num(0),
                "Tz" => state.scaling = num(0) / 100.0,
                "TL" => state.leading = num(0),
                "Ts" => state.rise = num(0),
                "Td" | "TD" => {
                    if operation.operator == "TD" {
                        state.leading = -num(1);
                    }
                    tlm = multiply(&[1.0, 0.0, 0.0, 1.0, num(0), num(1)], &tlm);
                    tm = tlm;
                }
                "Tm" => {
                    tlm = [num(0), num(1), num(2), num(3), num(4), num(5)];
                    tm = tlm;
                }
                "T*" => {
                    tlm = multiply(&[1.0, 0.0, 0.0, 1.0, 0.0, -state.leading], &tlm);
                    tm = tlm;
                }
                "Tj" | "'" | "\"" => {
                    if operation.operator != "Tj" {
                        if operation.operator == "\"" {
                            state.word_spacing = num(0);
                            state.char_spacing = num(1);
                        }
                        tlm = multiply(&[1.0, 0.0, 0.0, 1.0, 0.0, -state.leading], &tlm);
                        tm = tlm;
                    }
                    if let Some(string) = operands.last() {
                        self.show(&state, &mut tm, std::slice::from_ref(string));
                    }
                }
                "TJ" => {
                    if let Some(Object::Array(items)) = operands.first() {
                        self.show(&state, &mut tm, items);
                    }
                }
                "Do" => {
                    if let Some(name) = operands.first().and_then(|o| o.as_name().ok()) {
                        self.xobject(resources, name, &state.ctm, depth)?;
                    }
                }
                "BI" | "ID" => self.has_image = true,
                _ => {}
            }
        }
        Ok(())
    }

    fn font(&mut self, resources: &[&Dictionary], name: &[u8]) -> Option<Rc<Font>> {
        let doc = self.doc;
        let entry = resources.iter().find_map(|r| {
            let fonts = doc.dereference(r.get(b"Font").ok()?).ok()?.1.as_dict().ok()?;
            fonts.get(name).ok()
        })?;
        match entry {
            Object::Reference(id) => {
                if let Some(font) = self.fonts.fonts.get(id) {
                    return Some(font.clone());
                }
                let font = Rc::new(Font::read(doc, doc.get_dictionary(*id).ok()?));
                self.fonts.fonts.insert(*id, font.clone());
                Some(font)
            }
            Object::Dictionary(dict) => Some(Rc::new(Font::read(doc, dict))),
            _ => None,
        }
    }

    /// Shows the strings of a Tj or TJ: one run, with a space where a TJ adjustment leaves a
    /// gap wider than a fifth of an em.
    fn show(&mut self, state: &State, tm: &mut Matrix, items: &[Object]) {
        let Some(font) = state.font.clone() else { return };
        let mut text = String::new();
        let mut advance = 0.0f32;
        for item in items {
            match item {
                Object::String(bytes, _) => {
                    let (widths, spaces) = font.decode(bytes, &mut text);
                    let glyphs = font.glyphs(bytes);
                    advance += (widths / 1000.0 * state.size
                        + state.char_spacing * glyphs as f32
                        + state.word_spacing * spaces as f32)
                        * state.scaling;
                }
                Object::Integer(_) | Object::Real(_) => {
                    let adjustment = item.as_float().unwrap_or(0.0);
                    advance -= adjustment / 1000.0 * state.size * state.scaling;
                    if adjustment < -200.0 && !text.ends_with(' ') && !text.is_empty() {
                        text.push(' ');
                    }
                }
                _ => {}
            }
        }
        let trm = multiply(&[1.0, 0.0, 0.0, 1.0, 0.0, state.rise], &multiply(tm, &state.ctm));
        let (x0, y) = apply(&trm, 0.0, 0.0);
        let (x1, _) = apply(&trm, advance, 0.0);
        *tm = multiply(&[1.0, 0.0, 0.0, 1.0, advance, 0.0], tm);
        let size = state.size * (trm[2] * trm[2] + trm[3] * trm[3]).sqrt();
        if !text.trim().is_empty() && size.is_finite() && x0.is_finite() && y.is_finite() {
            self.runs.push(Run { text, x0: x0.min(x1), x1: x0.max(x1), y, size: size.abs(), bold: font.bold });
        }
    }

    fn xobject(
        &mut self,
        resources: &[&Dictionary],
        name: &[u8],
        ctm: &Matrix,
        depth: usize,
    ) -> Result<(), ContentError> {
        let doc = self.doc;
        let Some(stream) = resources.iter().find_map(|r| {
            let xobjects = doc.dereference(r.get(b"XObject").ok()?).ok()?.1.as_dict().ok()?;
            doc.dereference(xobjects.get(name).ok()?).ok()?.1.as_stream().ok()
        }) else {
            return Ok(());
        };
        match stream.dict.get(b"Subtype").ok().and_then(|o| o.as_name().ok()) {
            Some(b"Image") => self.has_image = true,
            Some(b"Form") if depth < MAX_FORM_DEPTH => {
                let matrix = stream
                    .dict
                    .get(b"Matrix")
                    .ok()
                    .and_then(|o| o.as_array().ok())
                    .filter(|a| a.len() == 6)
                    .map(|a| {
                        let mut m = IDENTITY;
                        for (slot, value) in m.iter_mut().zip(a) {
                            *slot = value.as_float().unwrap_or(0.0);
                        }
                        m
                    })
                    .unwrap_or(IDENTITY);
                let own = stream
                    .dict
                    .get(b"Resources")
                    .ok()
                    .and_then(|o| doc.dereference(o).ok())
                    .and_then(|(_, o)| o.as_dict().ok());
                let inner: Vec<&Dictionary> = own.into_iter().chain(resources.iter().copied()).collect();
                let content = stream.decompressed_content().unwrap_or_else(|_| stream.content.clone());
                self.run(&content, &inner, multiply(&matrix, ctm), depth + 1)?;
            }
            _ => {}
        }
        Ok(())
    }
}
