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
  ;; Total variation of `rows` pairs of probability rows of `classes` float32 each, at byte offsets $p and $q:
  ;; writes min(1, ½ Σ |pᵢ − qᵢ|) per row as float32 at $out, and per row a byte at $flags, 1 when the row is not
  ;; the common one (a value with its sign bit set, a sum of p or q off 1 by more than $tol, or a NaN distance),
  ;; else 0, then, from the next multiple of 4, the smallest and the largest value written as two float32 (only
  ;; meant for calls that flag no row). Returns how many rows it flagged.
  ;; Arithmetic is float32 in four lanes: lane j takes the classes 4m + j of a row's groups of four, a last pair
  ;; goes to lanes 0 and 1 and a last single class to lane 0; the lanes are then added as (0 + 2) + (1 + 3).
  ;; totalVariationJs (total-variation-simd.ts) adds in this order, so the two write the same bits.
  (func (export "totalVariation") (param $p i32) (param $q i32) (param $rows i32) (param $classes i32) (param $tol f32)
        (param $out i32) (param $flags i32) (result i32)
    (local $r i32) (local $i i32) (local $flagged i32) (local $rowBytes i32) (local $bad i32)
    (local $sp v128) (local $sq v128) (local $d v128) (local $sign v128) (local $h v128) (local $a v128) (local $b v128)
    (local $zero v128) (local $sumP f32) (local $sumQ f32) (local $tv f32) (local $min f32) (local $max f32)
    (local.set $zero (v128.const i32x4 0 0 0 0))
    (local.set $min (f32.const inf)) (local.set $max (f32.const -inf))
    (local.set $rowBytes (i32.shl (local.get $classes) (i32.const 2)))
    (block $rowsDone (loop $rowLoop
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $sp (local.get $zero)) (local.set $sq (local.get $zero)) (local.set $d (local.get $zero))
      (local.set $sign (local.get $zero))
      (local.set $i (i32.const 0))
      ;; groups of four
      (block $quadsDone (loop $quads
        (br_if $quadsDone (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $rowBytes)))
        (local.set $a (v128.load (i32.add (local.get $p) (local.get $i))))
        (local.set $b (v128.load (i32.add (local.get $q) (local.get $i))))
        (local.set $sign (v128.or (local.get $sign) (v128.or (local.get $a) (local.get $b))))
        (local.set $sp (f32x4.add (local.get $sp) (local.get $a)))
        (local.set $sq (f32x4.add (local.get $sq) (local.get $b)))
        (local.set $d (f32x4.add (local.get $d) (f32x4.abs (f32x4.sub (local.get $a) (local.get $b)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $quads)))
      ;; a last pair (lanes 2 and 3 add +0: no change, a lane is never -0)
      (if (i32.le_u (i32.add (local.get $i) (i32.const 8)) (local.get $rowBytes)) (then
        (local.set $a (v128.load64_zero (i32.add (local.get $p) (local.get $i))))
        (local.set $b (v128.load64_zero (i32.add (local.get $q) (local.get $i))))
        (local.set $sign (v128.or (local.get $sign) (v128.or (local.get $a) (local.get $b))))
        (local.set $sp (f32x4.add (local.get $sp) (local.get $a)))
        (local.set $sq (f32x4.add (local.get $sq) (local.get $b)))
        (local.set $d (f32x4.add (local.get $d) (f32x4.abs (f32x4.sub (local.get $a) (local.get $b)))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))))
      ;; a last single class
      (if (i32.lt_u (local.get $i) (local.get $rowBytes)) (then
        (local.set $a (v128.load32_zero (i32.add (local.get $p) (local.get $i))))
        (local.set $b (v128.load32_zero (i32.add (local.get $q) (local.get $i))))
        (local.set $sign (v128.or (local.get $sign) (v128.or (local.get $a) (local.get $b))))
        (local.set $sp (f32x4.add (local.get $sp) (local.get $a)))
        (local.set $sq (f32x4.add (local.get $sq) (local.get $b)))
        (local.set $d (f32x4.add (local.get $d) (f32x4.abs (f32x4.sub (local.get $a) (local.get $b)))))))
      (local.set $sumP (f32.add (f32x4.extract_lane 0 (local.tee $h (f32x4.add (local.get $sp) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $sp) (local.get $sp))))) (f32x4.extract_lane 1 (local.get $h))))
      (local.set $sumQ (f32.add (f32x4.extract_lane 0 (local.tee $h (f32x4.add (local.get $sq) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $sq) (local.get $sq))))) (f32x4.extract_lane 1 (local.get $h))))
      (local.set $tv (f32.mul (f32.const 0.5) (f32.add (f32x4.extract_lane 0 (local.tee $h (f32x4.add (local.get $d) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $d) (local.get $d))))) (f32x4.extract_lane 1 (local.get $h)))))
      ;; min(1, tv) that keeps NaN, as Math.min does (tv is not negative)
      (local.set $tv (select (f32.const 1) (local.get $tv) (f32.lt (f32.const 1) (local.get $tv))))
      (f32.store (local.get $out) (local.get $tv))
      ;; the range of the values: only meant for calls that flag no row (no NaN then)
      (local.set $min (select (local.get $tv) (local.get $min) (f32.lt (local.get $tv) (local.get $min))))
      (local.set $max (select (local.get $tv) (local.get $max) (f32.gt (local.get $tv) (local.get $max))))
      ;; a sign bit set anywhere: a negative value (or -0, which the validate gate then passes)
      (local.set $bad (i32.or (v128.any_true (i32x4.lt_s (local.get $sign) (local.get $zero)))
        (i32.eqz (i32.and (i32.and (f32.le (f32.abs (f32.sub (local.get $sumP) (f32.const 1))) (local.get $tol))
                                   (f32.le (f32.abs (f32.sub (local.get $sumQ) (f32.const 1))) (local.get $tol)))
                          (f32.eq (local.get $tv) (local.get $tv))))))
      (i32.store8 (local.get $flags) (local.get $bad))
      (local.set $flagged (i32.add (local.get $flagged) (local.get $bad)))
      (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
      (local.set $q (i32.add (local.get $q) (local.get $rowBytes)))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (local.set $flags (i32.add (local.get $flags) (i32.const 1)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rowLoop)))
    ;; the smallest and the largest value written, after the flags at the next multiple of 4
    (local.set $flags (i32.and (i32.add (local.get $flags) (i32.const 3)) (i32.const -4)))
    (f32.store (local.get $flags) (local.get $min))
    (f32.store offset=4 (local.get $flags) (local.get $max))
    (local.get $flagged))
)
