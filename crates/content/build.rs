// The content folder is embedded by a macro that cargo cannot see through: rebuild this
// crate whenever anything under content/ changes.
fn main() {
    println!("cargo::rerun-if-changed=../../content");
}
