import time, torch, numpy as np, fmmi, sys
from fmmi.distributions import CorrelatedGaussian
torch.set_num_threads(2)
def pairs(dim, mi):
    rho=np.sqrt(-np.expm1(-2*mi/dim)); C=np.eye(2*dim)
    for i in range(dim): C[i,dim+i]=C[dim+i,i]=rho
    return CorrelatedGaussian(C, dim)
cases=[("1d",CorrelatedGaussian.from_mi(0.8304),30000),("5+5",pairs(5,1.0),20000),("10+10",pairs(10,5.0),20000),("indep2+1",CorrelatedGaussian(np.eye(3),2),10000)]
for name,dist,n in cases:
  x,y=dist.sample(n, random_state=100)
  for path in ["linear","trigonometric"]:
    for coupling in ["independent","shared_x"]:
        t=time.time()
        r=fmmi.FMMI(coupling=coupling, path=path, random_state=0).fit_estimate(x,y)
        print(name, path, coupling, round(dist.mutual_information,4), round(r.value,4), round(r.stderr,4), round(time.time()-t,1), flush=True)
