package hj212

// benchSegment2051 is a typical minute upload (CN 2051) of a flue-gas
// outlet: 8 factors, each with -Cou, -Min, -Avg, -Max and -Flag.
const benchSegment2051 = "QN=20240315103000123;ST=31;CN=2051;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&DataTime=20240315102900;" +
	"a21026-Cou=1.234,a21026-Min=12.5,a21026-Avg=15.32,a21026-Max=18.9,a21026-Flag=N;" +
	"a21002-Cou=3.456,a21002-Min=45.1,a21002-Avg=52.77,a21002-Max=60.2,a21002-Flag=N;" +
	"a34013-Cou=0.321,a34013-Min=3.2,a34013-Avg=4.18,a34013-Max=5.5,a34013-Flag=N;" +
	"a19001-Cou=0,a19001-Min=9.8,a19001-Avg=10.21,a19001-Max=10.9,a19001-Flag=N;" +
	"a01012-Cou=0,a01012-Min=85.2,a01012-Avg=88.43,a01012-Max=92.1,a01012-Flag=N;" +
	"a01013-Cou=0,a01013-Min=-0.12,a01013-Avg=-0.09,a01013-Max=-0.05,a01013-Flag=N;" +
	"a01014-Cou=0,a01014-Min=8.1,a01014-Avg=8.92,a01014-Max=9.7,a01014-Flag=N;" +
	"a00000-Cou=123456.7,a00000-Min=32.1,a00000-Avg=35.68,a00000-Max=39.2,a00000-Flag=N&&"

// benchSegment2011 is a typical real-time upload (CN 2011) of the same
// outlet: 8 factors, each with -Rtd and -Flag.
const benchSegment2011 = "QN=20250312090000000;ST=31;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&DataTime=20250312090000;" +
	"a00000-Rtd=38.22,a00000-Flag=N;a21026-Rtd=100.67,a21026-Flag=N;a21002-Rtd=112.79,a21002-Flag=N;" +
	"a34013-Rtd=11.39,a34013-Flag=N;a19001-Rtd=9.07,a19001-Flag=N;a01012-Rtd=73.2,a01012-Flag=N;" +
	"a01013-Rtd=0.307,a01013-Flag=N;a01014-Rtd=11.41,a01014-Flag=N&&"
