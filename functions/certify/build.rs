//! The certificate PDF's font is compiled in: IPAゴシック (IPA Font License v1.0, Debian's
//! `fonts-ipafont-gothic`, which scripts/browser-deps.sh installs), or the TrueType file
//! `CERTIFICATE_FONT` names.

fn main() {
    const DEBIAN: &str = "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf";
    println!("cargo:rerun-if-env-changed=CERTIFICATE_FONT");
    let path = std::env::var("CERTIFICATE_FONT").unwrap_or_else(|_| DEBIAN.to_owned());
    if !std::path::Path::new(&path).is_file() {
        panic!(
            "the certificate font {path} is missing: install Debian's fonts-ipafont-gothic \
             (scripts/browser-deps.sh) or set CERTIFICATE_FONT to a Japanese TrueType font"
        );
    }
    println!("cargo:rerun-if-changed={path}");
    println!("cargo:rustc-env=CERTIFICATE_FONT_PATH={path}");
}
