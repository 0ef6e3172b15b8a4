use vmi::paging::{self, ArmRoots, PagingContext};
use vmi::PageMode;
fn main() {
    let vmi =
        vmi::instance::Vmi::open_file(std::path::Path::new("target/guests/arm64/mem.raw"), false)
            .unwrap();
    let mut ctx = PagingContext::new(0x41853000);
    ctx.arm_roots = ArmRoots::Upper;
    let mut n = 0u64;
    let mut hits = vec![];
    let r = paging::for_each_page(vmi.driver(), PageMode::Aarch64, &ctx, |t| {
        n += 1;
        if t.pa <= 0x40200000 && 0x40200000 < t.pa + t.page_size.bytes() {
            hits.push((t.page_base_va, t.pa, t.page_size));
        }
        if n < 5 {
            println!("{:#x} -> {:#x} {:?}", t.page_base_va, t.pa, t.page_size);
        }
        core::ops::ControlFlow::Continue(())
    });
    println!("{r:?} n={n} hits={hits:x?}");
    for va in [0xffffcf2381600000u64, 0xffffcf2381610000] {
        println!(
            "{:x?}",
            paging::translate(vmi.driver(), PageMode::Aarch64, &ctx, va)
        );
    }
}
