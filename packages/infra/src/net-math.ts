/** Small pure helpers for CIDR and port arithmetic, shared by the program and the doctor. */

/** The /24 subnets of a 10.x.0.0/16: public at .0+i, private at .100+i. */
export function subnetCidrs(vpcCidr: string, azCount: number): { public: string[]; private: string[] } {
  const [a, b] = vpcCidr.split('.');
  const cidr = (third: number) => `${a}.${b}.${third}.0/24`;
  return {
    public: Array.from({ length: azCount }, (_, i) => cidr(i)),
    private: Array.from({ length: azCount }, (_, i) => cidr(100 + i)),
  };
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

/** True when CIDR `outer` contains every address of CIDR `inner`. */
export function cidrContains(outer: string, inner: string): boolean {
  const [oip, obits] = outer.split('/');
  const [iip, ibits] = inner.split('/');
  const ob = Number(obits);
  const ib = Number(ibits);
  if (!oip || !iip || Number.isNaN(ob) || Number.isNaN(ib) || ib < ob) return false;
  if (ob === 0) return true;
  const shift = 32 - ob;
  return Math.floor(ipToInt(oip) / 2 ** shift) === Math.floor(ipToInt(iip) / 2 ** shift);
}

/** True when an instance type runs on Graviton (arm64): t4g, c7gn, m6gd, x2gd ... */
export function isGraviton(instanceType: string): boolean {
  const family = instanceType.split('.')[0] ?? '';
  return /^[a-z]+\d+[a-z]*g[a-z]*$/.test(family) && !/^[a-z]+\d+$/.test(family);
}
