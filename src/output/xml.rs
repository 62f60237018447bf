//! The XML formats' writer: quick-xml's [`Writer`] over a byte buffer, with
//! the few shapes RSS and Atom need. quick-xml escapes every text and
//! attribute value (`<`, `>`, `&`, `'`, `"`); the one exception is
//! [`Xml::escaped_element`], for text the caller escaped already.

use std::borrow::Cow;

use quick_xml::Writer;
use quick_xml::events::{BytesCData, BytesDecl, BytesEnd, BytesStart, BytesText, Event};

/// Writes XML to the end of a buffer.
pub struct Xml<'w> {
    w: Writer<&'w mut Vec<u8>>,
}

/// Writing to memory does not fail.
fn wrote(r: std::io::Result<()>) {
    r.expect("writing XML to a Vec<u8> cannot fail");
}

fn start<'a>(name: &'a str, attrs: &[(&'a str, &'a str)]) -> BytesStart<'a> {
    let mut e = BytesStart::new(name);
    for &attr in attrs {
        e.push_attribute(attr);
    }
    e
}

impl<'w> Xml<'w> {
    pub fn new(out: &'w mut Vec<u8>) -> Xml<'w> {
        Xml {
            w: Writer::new(out),
        }
    }

    /// `<?xml version="1.0" encoding="..."?>`, or without `encoding`.
    pub fn declaration(&mut self, encoding: Option<&str>) {
        wrote(
            self.w
                .write_event(Event::Decl(BytesDecl::new("1.0", encoding, None))),
        );
    }

    /// Bytes that are already XML: an item's fragment, a line break.
    pub fn raw(&mut self, xml: &[u8]) {
        self.w.get_mut().extend_from_slice(xml);
    }

    pub fn start(&mut self, name: &str, attrs: &[(&str, &str)]) {
        wrote(self.w.write_event(Event::Start(start(name, attrs))));
    }

    pub fn end(&mut self, name: &str) {
        wrote(self.w.write_event(Event::End(BytesEnd::new(name))));
    }

    /// `<name attrs/>`.
    pub fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        wrote(self.w.write_event(Event::Empty(start(name, attrs))));
    }

    /// `<name attrs>text</name>`, the text escaped.
    pub fn element(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.start(name, attrs);
        wrote(self.w.write_event(Event::Text(BytesText::new(text))));
        self.end(name);
    }

    /// `<name attrs>escaped</name>`, for text escaped by the caller.
    pub fn escaped_element(&mut self, name: &str, attrs: &[(&str, &str)], escaped: &str) {
        self.start(name, attrs);
        wrote(
            self.w
                .write_event(Event::Text(BytesText::from_escaped(Cow::Borrowed(escaped)))),
        );
        self.end(name);
    }

    /// `<name>` with `text` as CDATA sections: a `]]>` in the text ends one
    /// section after its `]]` and starts the next with its `>`.
    pub fn cdata_element(&mut self, name: &str, text: &str) {
        self.start(name, &[]);
        for section in BytesCData::escaped(text) {
            wrote(self.w.write_event(Event::CData(section)));
        }
        self.end(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let mut out = Vec::new();
        let mut x = Xml::new(&mut out);
        x.declaration(Some("utf-8"));
        x.start("a", &[("k", "<'\"&>")]);
        x.element("t", &[], "x < y & 'z'");
        x.escaped_element("e", &[], "&lt;p&gt;");
        x.empty("i", &[("h", "u")]);
        x.cdata_element("c", "a]]>b");
        x.cdata_element("d", "");
        x.raw(b"\n");
        x.end("a");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><a k=\"&lt;&apos;&quot;&amp;&gt;\">\
             <t>x &lt; y &amp; &apos;z&apos;</t><e>&lt;p&gt;</e><i h=\"u\"/>\
             <c><![CDATA[a]]]]><![CDATA[>b]]></c><d><![CDATA[]]></d>\n</a>"
        );
    }
}
