// Throughput of AVX512_BF16's vdpbf16ps against float32 vfmadd on one core: 24 independent accumulators (12 rows ×
// 2 vectors, as a register tile), a broadcast A value and two B vectors per step.
//   clang -O2 -march=sapphirerapids bench/bf16_dot_throughput.c -o /tmp/bf16 && /tmp/bf16
// Prints GFLOP/s for each (a vdpbf16ps counts 64 floating-point operations, a vfmadd 32).
#include <immintrin.h>
#include <stdio.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
__attribute__((target("avx512f,avx512bf16"), noinline)) float bf(long n, const int* a, __m512i b0, __m512i b1){
  __m512 acc[24]; for(int i=0;i<24;i++) acc[i]=_mm512_setzero_ps();
  for(long k=0;k<n;k++){
    #pragma GCC unroll 12
    for(int r=0;r<12;r++){ __m512bh x=(__m512bh)_mm512_set1_epi32(a[r+(k&7)]);
      acc[2*r]=_mm512_dpbf16_ps(acc[2*r],x,(__m512bh)b0); acc[2*r+1]=_mm512_dpbf16_ps(acc[2*r+1],x,(__m512bh)b1);}
  }
  __m512 s=acc[0]; for(int i=1;i<24;i++) s=_mm512_add_ps(s,acc[i]); return _mm512_reduce_add_ps(s);
}
__attribute__((target("avx512f"), noinline)) float fm(long n, const float* a, __m512 b0, __m512 b1){
  __m512 acc[24]; for(int i=0;i<24;i++) acc[i]=_mm512_setzero_ps();
  for(long k=0;k<n;k++){
    #pragma GCC unroll 12
    for(int r=0;r<12;r++){ __m512 x=_mm512_set1_ps(a[r+(k&7)]);
      acc[2*r]=_mm512_fmadd_ps(x,b0,acc[2*r]); acc[2*r+1]=_mm512_fmadd_ps(x,b1,acc[2*r+1]);}
  }
  __m512 s=acc[0]; for(int i=1;i<24;i++) s=_mm512_add_ps(s,acc[i]); return _mm512_reduce_add_ps(s);
}
int main(){ int a[32]; float f[32]; for(int i=0;i<32;i++){a[i]=0x3f803f80; f[i]=1e-9f;}
 long n=20000000; double t=now(); float r1=bf(n,a,_mm512_set1_epi32(0x3f803f80),_mm512_set1_epi32(0x3f803f80)); double t1=now()-t;
 t=now(); float r2=fm(n,f,_mm512_set1_ps(1e-9f),_mm512_set1_ps(1e-9f)); double t2=now()-t;
 printf("bf16: %.1f GFLOP/s  fp32 fma: %.1f GFLOP/s (%g %g)\n", n*24*64/t1/1e9, n*24*32/t2/1e9, r1, r2);}
