//! Compiles `proto/viz.proto` (linkerd2.viz.Api) and `proto/lviz.proto` (lviz's extensions)
//! into Rust with protox and tonic-prost-build: no protoc needed, and the generated code can
//! never be stale. Messages and client stubs only: the server routes methods itself
//! (`src/server/dispatch.rs`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = ["proto/viz.proto", "proto/lviz.proto"];
    for p in protos {
        println!("cargo:rerun-if-changed={p}");
    }
    let descriptors = protox::compile(protos, ["proto"])?;
    tonic_prost_build::configure().build_server(false).build_client(true).compile_fds(descriptors)?;
    Ok(())
}
