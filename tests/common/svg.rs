//! Reading the pictures the server draws the way a person and a phone would: the SVG parsed as
//! XML (it must be well-formed, without scripts or external references), its texts, and its QR
//! code rasterised from the drawn modules and decoded by a QR reader.

/// Every `<text>`'s content; panics if the document is not well-formed SVG, holds a script or
/// refers to anything outside itself.
pub fn texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    for node in doc.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        assert!(
            !["script", "foreignObject", "image", "use", "a"].contains(&name),
            "<{name}> in a picture"
        );
        for attribute in node.attributes() {
            assert!(
                !attribute.name().starts_with("on") && attribute.name() != "href",
                "{} on <{name}>",
                attribute.name()
            );
            assert!(!attribute.value().contains("url("), "an external reference");
        }
    }
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or_default().to_owned())
        .collect()
}

/// The text of the QR code drawn as `<svg id="qr">`: its dark modules, rasterised at four
/// pixels a module, read by rqrr.
pub fn qr_text(svg: &str) -> String {
    let doc = roxmltree::Document::parse(svg).expect("well-formed XML");
    let qr = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("qr"))
        .expect("a QR code");
    let view_box: Vec<usize> = qr
        .attribute("viewBox")
        .unwrap()
        .split(' ')
        .map(|n| n.parse().unwrap())
        .collect();
    let modules = view_box[2];
    let mut dark = vec![false; modules * modules];
    let path = qr
        .descendants()
        .find(|n| n.has_tag_name("path"))
        .and_then(|n| n.attribute("d"))
        .expect("the modules' path");
    for square in path.split('M').filter(|s| !s.is_empty()) {
        let corner = square.split('h').next().unwrap();
        let (x, y) = corner.split_once(' ').unwrap();
        let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
        dark[y * modules + x] = true;
    }
    let scale = 4;
    let side = modules * scale;
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
        if dark[(y / scale) * modules + x / scale] {
            0
        } else {
            255
        }
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    let (_, content) = grids[0].decode().expect("a readable QR code");
    content
}
