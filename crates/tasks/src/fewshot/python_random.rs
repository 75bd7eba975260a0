//! CPython's `random.Random` (3.11) for integer seeds: the same MT19937 stream and the same
//! algorithms on top of it, so that `sample` and `shuffle` pick what Python picks.

use rand_mt::Mt;

/// `random.Random(seed)`: Mersenne Twister seeded as CPython seeds it from an `int`.
#[derive(Debug, Clone)]
pub struct PyRandom {
    mt: Mt,
}

/// `random.sample` asked for more elements than the population has (Python's
/// `ValueError: Sample larger than population or is negative`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot sample {k} from a population of {population} (sample larger than population)")]
pub struct SampleError {
    pub population: usize,
    pub k: usize,
}

impl PyRandom {
    /// `random.Random(seed)`. CPython seeds MT19937 with `init_by_array` over the 32-bit
    /// words of `abs(seed)`, least significant first (one word `0` for seed 0).
    pub fn new(seed: u64) -> Self {
        // Truncation is the point: the seed is split into its two 32-bit words.
        let low = seed as u32;
        let high = (seed >> 32) as u32;
        let mt = if high == 0 {
            Mt::new_with_key([low])
        } else {
            Mt::new_with_key([low, high])
        };
        Self { mt }
    }

    /// The next raw 32-bit output (`genrand_uint32`).
    pub fn next_u32(&mut self) -> u32 {
        self.mt.next_u32()
    }

    /// `getrandbits(bits)` as 32-bit words, least significant first: one output per word,
    /// the last one shifted down to the bits that remain (CPython's algorithm). Empty for 0.
    pub fn getrandbits_words(&mut self, bits: u32) -> Vec<u32> {
        let mut words = Vec::with_capacity(bits.div_ceil(32) as usize);
        let mut left = bits;
        while left > 0 {
            let word = self.next_u32();
            if left < 32 {
                words.push(word >> (32 - left));
                left = 0;
            } else {
                words.push(word);
                left -= 32;
            }
        }
        words
    }

    /// `getrandbits(bits)` for `bits <= 64`. For more bits the generator advances exactly as
    /// Python's does and the low 64 bits are returned (see [`PyRandom::getrandbits_words`]).
    pub fn getrandbits(&mut self, bits: u32) -> u64 {
        if bits <= 32 {
            // CPython's fast path: one output shifted down (nothing drawn for 0 bits).
            return match bits {
                0 => 0,
                _ => u64::from(self.next_u32() >> (32 - bits)),
            };
        }
        let words = self.getrandbits_words(bits);
        words
            .iter()
            .take(2)
            .enumerate()
            .fold(0, |value, (index, word)| {
                value | (u64::from(*word) << (32 * index))
            })
    }

    /// `_randbelow(n)`: `getrandbits(n.bit_length())` until the value is below `n`. Python
    /// only calls it with `n > 0` (it would never return for 0); here 0 gives 0.
    pub fn randbelow(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let bits = u64::BITS - n.leading_zeros();
        loop {
            let value = self.getrandbits(bits);
            if value < n {
                return value;
            }
        }
    }

    /// `random()`: a float in [0, 1) with 53 random bits.
    pub fn random(&mut self) -> f64 {
        let high = f64::from(self.next_u32() >> 5);
        let low = f64::from(self.next_u32() >> 6);
        (high * 67_108_864.0 + low) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// `sample(range(population), k)`: `k` distinct indices in selection order, by CPython
    /// 3.11's algorithm (a shrinking pool for small populations, rejection against the
    /// already-selected set for large ones, with Python's `setsize` rule between them).
    pub fn sample(&mut self, population: usize, k: usize) -> Result<Vec<usize>, SampleError> {
        if k > population {
            return Err(SampleError { population, k });
        }
        let mut setsize: u128 = 21;
        if k > 5 {
            // 4 ** ceil(log(k * 3, 4)), with math.log's floating point.
            let exponent = ((k as f64 * 3.0).ln() / 4f64.ln()).ceil() as u32;
            setsize = setsize.saturating_add(4u128.saturating_pow(exponent));
        }
        let mut result = Vec::with_capacity(k);
        if population as u128 <= setsize {
            let mut pool: Vec<usize> = (0..population).collect();
            for i in 0..k {
                let j = self.randbelow((population - i) as u64) as usize;
                result.push(pool[j]);
                pool[j] = pool[population - i - 1];
            }
        } else {
            let mut selected = std::collections::HashSet::with_capacity(k);
            for _ in 0..k {
                let mut j = self.randbelow(population as u64) as usize;
                while selected.contains(&j) {
                    j = self.randbelow(population as u64) as usize;
                }
                selected.insert(j);
                result.push(j);
            }
        }
        Ok(result)
    }

    /// `shuffle(items)`: CPython's Fisher-Yates from the end.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.randbelow(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}
