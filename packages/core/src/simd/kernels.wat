;; WebAssembly SIMD kernels of the engine's hot path. Source of kernels-wasm.ts: after editing, run
;;   node scripts/build-wasm-kernels.mjs
;; (a unit test fails while kernels-wasm.ts does not match this file).
(module
  (memory (export "memory") 1)
  ;; 1 when any of the n float32 at byte offset p is NaN or ±Infinity, else 0.
  (func (export "nonFinite") (param $p i32) (param $n i32) (result i32)
    (local $end i32) (local $a v128) (local $b v128) (local $c v128) (local $d v128) (local $zero v128) (local $s f32)
    (local.set $zero (f32x4.splat (f32.const 0)))
    (local.set $a (local.get $zero)) (local.set $b (local.get $zero))
    (local.set $c (local.get $zero)) (local.set $d (local.get $zero))
    (local.set $end (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -16)) (i32.const 2))))
    (block $done
      (loop $loop
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $a (f32x4.add (local.get $a) (f32x4.mul (v128.load offset=0 (local.get $p)) (local.get $zero))))
        (local.set $b (f32x4.add (local.get $b) (f32x4.mul (v128.load offset=16 (local.get $p)) (local.get $zero))))
        (local.set $c (f32x4.add (local.get $c) (f32x4.mul (v128.load offset=32 (local.get $p)) (local.get $zero))))
        (local.set $d (f32x4.add (local.get $d) (f32x4.mul (v128.load offset=48 (local.get $p)) (local.get $zero))))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $loop)))
    (local.set $a (f32x4.add (f32x4.add (local.get $a) (local.get $b)) (f32x4.add (local.get $c) (local.get $d))))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 15)) (i32.const 2))))
    (block $tdone
      (loop $tail
        (br_if $tdone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $p)) (f32.const 0))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $tail)))
    (i32.or
      (v128.any_true (f32x4.ne (local.get $a) (local.get $a)))
      (f32.ne (local.get $s) (local.get $s))))
)
