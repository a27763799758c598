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
  ;; the common one (a negative value, a sum of p or q off 1 by more than $tol, or a NaN distance), else 0.
  ;; Returns how many rows it flagged. Sums are float64: lane 0 takes a row's even classes, lane 1 its odd ones,
  ;; added at the end (the order screen-total-variation.ts and total-variation.ts sum in, so all three agree bit
  ;; for bit).
  (func (export "totalVariation") (param $p i32) (param $q i32) (param $rows i32) (param $classes i32) (param $tol f64)
        (param $out i32) (param $flags i32) (result i32)
    (local $r i32) (local $i i32) (local $flagged i32)
    (local $sp v128) (local $sq v128) (local $d v128) (local $neg v128)
    (local $a v128) (local $b v128) (local $lo v128) (local $hi v128) (local $blo v128) (local $bhi v128)
    (local $zero v128) (local $sumP f64) (local $sumQ f64) (local $tv f64) (local $bad i32) (local $rowBytes i32)
    (local $fa f32) (local $fb f32)
    (local.set $zero (f64x2.splat (f64.const 0)))
    (local.set $rowBytes (i32.shl (local.get $classes) (i32.const 2)))
    (block $rowsDone (loop $rowLoop
      (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $sp (local.get $zero)) (local.set $sq (local.get $zero)) (local.set $d (local.get $zero))
      (local.set $neg (v128.const i32x4 0 0 0 0))
      (local.set $i (i32.const 0))
      ;; quads
      (block $qd (loop $ql
        (br_if $qd (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $rowBytes)))
        (local.set $a (v128.load (i32.add (local.get $p) (local.get $i))))
        (local.set $b (v128.load (i32.add (local.get $q) (local.get $i))))
        (local.set $neg (v128.or (local.get $neg) (v128.or (f32x4.lt (local.get $a) (v128.const f32x4 0 0 0 0)) (f32x4.lt (local.get $b) (v128.const f32x4 0 0 0 0)))))
        (local.set $lo (f64x2.promote_low_f32x4 (local.get $a)))
        (local.set $blo (f64x2.promote_low_f32x4 (local.get $b)))
        (local.set $hi (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a))))
        (local.set $bhi (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b))))
        (local.set $sp (f64x2.add (local.get $sp) (local.get $lo)))
        (local.set $sq (f64x2.add (local.get $sq) (local.get $blo)))
        (local.set $d (f64x2.add (local.get $d) (f64x2.abs (f64x2.sub (local.get $lo) (local.get $blo)))))
        (local.set $sp (f64x2.add (local.get $sp) (local.get $hi)))
        (local.set $sq (f64x2.add (local.get $sq) (local.get $bhi)))
        (local.set $d (f64x2.add (local.get $d) (f64x2.abs (f64x2.sub (local.get $hi) (local.get $bhi)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $ql)))
      ;; a pair
      (if (i32.le_u (i32.add (local.get $i) (i32.const 8)) (local.get $rowBytes)) (then
        (local.set $a (v128.load64_zero (i32.add (local.get $p) (local.get $i))))
        (local.set $b (v128.load64_zero (i32.add (local.get $q) (local.get $i))))
        (local.set $neg (v128.or (local.get $neg) (v128.or (f32x4.lt (local.get $a) (v128.const f32x4 0 0 0 0)) (f32x4.lt (local.get $b) (v128.const f32x4 0 0 0 0)))))
        (local.set $lo (f64x2.promote_low_f32x4 (local.get $a)))
        (local.set $blo (f64x2.promote_low_f32x4 (local.get $b)))
        (local.set $sp (f64x2.add (local.get $sp) (local.get $lo)))
        (local.set $sq (f64x2.add (local.get $sq) (local.get $blo)))
        (local.set $d (f64x2.add (local.get $d) (f64x2.abs (f64x2.sub (local.get $lo) (local.get $blo)))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))))
      ;; a last one, into lane 0
      (local.set $sumP (f64x2.extract_lane 0 (local.get $sp)))
      (local.set $sumQ (f64x2.extract_lane 0 (local.get $sq)))
      (local.set $tv (f64x2.extract_lane 0 (local.get $d)))
      (local.set $bad (v128.any_true (local.get $neg)))
      (if (i32.lt_u (local.get $i) (local.get $rowBytes)) (then
        (local.set $fa (f32.load (i32.add (local.get $p) (local.get $i))))
        (local.set $fb (f32.load (i32.add (local.get $q) (local.get $i))))
        (local.set $sumP (f64.add (local.get $sumP) (f64.promote_f32 (local.get $fa))))
        (local.set $sumQ (f64.add (local.get $sumQ) (f64.promote_f32 (local.get $fb))))
        (local.set $tv (f64.add (local.get $tv) (f64.abs (f64.sub (f64.promote_f32 (local.get $fa)) (f64.promote_f32 (local.get $fb))))))
        (local.set $bad (i32.or (local.get $bad) (i32.or (f32.lt (local.get $fa) (f32.const 0)) (f32.lt (local.get $fb) (f32.const 0)))))))
      (local.set $sumP (f64.add (local.get $sumP) (f64x2.extract_lane 1 (local.get $sp))))
      (local.set $sumQ (f64.add (local.get $sumQ) (f64x2.extract_lane 1 (local.get $sq))))
      (local.set $tv (f64.min (f64.const 1) (f64.mul (f64.const 0.5) (f64.add (local.get $tv) (f64x2.extract_lane 1 (local.get $d))))))
      (f32.store (local.get $out) (f32.demote_f64 (local.get $tv)))
      (local.set $bad (i32.or (local.get $bad)
        (i32.eqz (i32.and (i32.and (f64.le (f64.abs (f64.sub (local.get $sumP) (f64.const 1))) (local.get $tol))
                                   (f64.le (f64.abs (f64.sub (local.get $sumQ) (f64.const 1))) (local.get $tol)))
                          (f64.eq (local.get $tv) (local.get $tv))))))
      (i32.store8 (local.get $flags) (local.get $bad))
      (local.set $flagged (i32.add (local.get $flagged) (local.get $bad)))
      (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
      (local.set $q (i32.add (local.get $q) (local.get $rowBytes)))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (local.set $flags (i32.add (local.get $flags) (i32.const 1)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rowLoop)))
    (local.get $flagged))
)
